import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The environment variable that marks every process of one run, so a later hub can find them. */
export const MARKER_ENV = 'EVALHUB_RUN_MARKER';

interface Entry {
  marker: string;
  pgid: number;
  command: string;
  started_at: string;
}

/**
 * The process groups this hub's runtime started and has not seen end, one small file each under
 * the data dir (process groups belong to a host, so they are journaled beside the host's files,
 * not in a store that several replicas share). A hub that starts after a crash ends what its
 * predecessor left running before anything resumes.
 */
export class ProcessJournal {
  constructor(private readonly dir: string) {}

  newMarker(): string {
    return randomUUID();
  }

  async record(marker: string, pgid: number, command: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const entry: Entry = { marker, pgid, command, started_at: new Date().toISOString() };
    await writeFile(join(this.dir, `${marker}.json`), JSON.stringify(entry));
  }

  async remove(marker: string): Promise<void> {
    await rm(join(this.dir, `${marker}.json`), { force: true });
  }

  /**
   * Kills every process still carrying a journaled run's marker (SIGKILL, the whole group), then
   * forgets the entries. Returns how many processes were killed. Linux (/proc) only; elsewhere the
   * entries are forgotten and the watchdog alone guards against orphans.
   */
  async reap(): Promise<number> {
    let files: string[];
    try {
      files = (await readdir(this.dir)).filter((f) => f.endsWith('.json'));
    } catch {
      return 0;
    }
    let killed = 0;
    for (const f of files) {
      const path = join(this.dir, f);
      try {
        const entry = JSON.parse(await readFile(path, 'utf8')) as Entry;
        for (const pid of processesWithMarker(entry.pgid, entry.marker)) {
          try {
            process.kill(pid, 'SIGKILL');
            killed++;
          } catch {
            // already gone
          }
        }
      } catch {
        // an unreadable entry: nothing to verify, so nothing is killed
      }
      await rm(path, { force: true });
    }
    return killed;
  }
}

/**
 * Processes of group `pgid` whose environment carries `marker` (a reused pid or group id never
 * matches: the marker is a random id of that one run).
 */
export function processesWithMarker(pgid: number, marker: string): number[] {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return [];
  }
  const needle = `${MARKER_ENV}=${marker}`;
  const out: number[] = [];
  for (const pid of pids) {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp …"; comm may contain spaces and parentheses.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (env.includes(needle)) out.push(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}
