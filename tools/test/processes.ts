import { readdirSync, readFileSync } from 'node:fs';

/** A live process: its pid and its process group. */
export interface Proc {
  pid: number;
  pgid: number;
}

/** Live (not zombie) processes other than this one matching `match`, from /proc. */
export function processes(match: (cmdline: string, pgid: number) => boolean): Proc[] {
  const found: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      if (!match(readFileSync(`/proc/${entry}/cmdline`, 'utf8'), Number(fields[2]))) continue;
      found.push({ pid: Number(entry), pgid: Number(fields[2]) });
    } catch {
      // ended while we looked
    }
  }
  return found;
}

/** Live processes whose command line mentions `needle` (engines' command lines name their work folder). */
export const processesMentioning = (needle: string): Proc[] =>
  processes((cmdline) => cmdline.includes(needle));

/** Live members of a process group. */
export const groupMembers = (pgid: number): Proc[] => processes((_, group) => group === pgid);
