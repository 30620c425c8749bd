import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Evaluation } from '@evalhub/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolvePython, repoRoot } from '../src/index.js';
import { startHubProcess, type HubProcess } from '../src/testing/hub-process.js';

// Real parts: `evalhub serve` as a process, the real lm-eval provider and engine; the fixture model
// server (stands in for model weights) hangs every request, so lm-eval waits on the model server.

interface Proc {
  pid: number;
  pgid: number;
}

/** Live (not zombie) processes matching `match`, from /proc. */
function processes(match: (cmdline: string, pgid: number) => boolean): Proc[] {
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

const processesMentioning = (needle: string): Proc[] => processes((cmdline) => cmdline.includes(needle));
const groupMembers = (pgid: number): Proc[] => processes((_, g) => g === pgid);

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 240_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function api<T>(
  hub: HubProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${hub.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

let top: string;
let config: string;
let dataDir: string;
const hubs: HubProcess[] = [];

beforeAll(async () => {
  top = realpathSync(await mkdtemp(join(tmpdir(), 'evalhub-crash-')));
  dataDir = join(top, 'data-dir');
  const dataRoot = join(top, 'datasets');
  await mkdir(dataRoot, { recursive: true });
  await copyFile(
    join(repoRoot, 'packages', 'provider-lmeval', 'test', 'data', 'arc-sample.jsonl'),
    join(dataRoot, 'arc-sample.jsonl'),
  );
  config = join(top, 'evalhub.config.json');
  await writeFile(
    config,
    JSON.stringify({
      data_dir: dataDir,
      data_root: dataRoot,
      tracker: 'none',
      discover_plugins: false,
      python: await resolvePython(),
      plugins: [
        { name: '@evalhub/provider-lmeval', options: { preflight: false, request_timeout_seconds: 3600 } },
      ],
      model_servers: { vllm: `${inject('fixtureModelUrl')}/_/hang/v1` },
    }),
  );
});

afterAll(async () => {
  for (const h of hubs) await h.stop('SIGKILL');
  if (top) await rm(top, { recursive: true, force: true });
});

describe('a hub that is SIGKILLed while lm-eval waits on the model server', () => {
  it('leaves no engine behind; the next hub runs a new attempt in its own folder; DELETE stops it', async () => {
    const first = await startHubProcess({ config });
    hubs.push(first);
    const submitted = await api<Evaluation>(first, 'POST', '/api/v1/evaluations', {
      model: { server: 'vllm', name: 'fixture' },
      benchmarks: [
        {
          benchmark_id: 'arc_easy',
          provider_id: 'lm_evaluation_harness',
          config: { dataset_path: 'arc-sample.jsonl' },
        },
      ],
      experiment: { name: 'crash-drill' },
    });
    expect(submitted.status).toBe(202);
    const id = submitted.body.id;
    const workRoot = join(dataDir, 'evaluations', id, 'work');
    const attempt1 = await until('lm-eval of attempt 1', () => {
      const p = processesMentioning(join(workRoot, '0-arc_easy', 'attempt-1'));
      return p.length > 0 ? p : undefined;
    });

    await first.stop('SIGKILL');
    // The engine dies with the hub: nothing of attempt 1 is left running.
    await until(
      'attempt 1 to end',
      () => (processesMentioning(join(workRoot, '0-arc_easy', 'attempt-1')).length === 0 ? true : undefined),
      60_000,
    );
    for (const { pgid } of attempt1) expect(groupMembers(pgid)).toEqual([]);

    const second = await startHubProcess({ config });
    hubs.push(second);
    await until('attempt 2 to start', () =>
      processesMentioning(join(workRoot, '0-arc_easy', 'attempt-2')).length > 0 ? true : undefined,
    );
    expect(processesMentioning(join(workRoot, '0-arc_easy', 'attempt-1'))).toEqual([]);
    expect((await readdir(join(workRoot, '0-arc_easy'))).sort()).toEqual(['attempt-1', 'attempt-2']);
    const running = (await api<Evaluation>(second, 'GET', `/api/v1/evaluations/${id}`)).body;
    expect(running.benchmarks[0]).toMatchObject({ status: 'running', attempts: 2 });

    const cancelled = await api<Evaluation>(second, 'DELETE', `/api/v1/evaluations/${id}`);
    expect(cancelled.status).toBeLessThan(300);
    const final = await until('the cancel to finish', async () => {
      const e = (await api<Evaluation>(second, 'GET', `/api/v1/evaluations/${id}`)).body;
      return e.status === 'cancelled' ? e : undefined;
    });
    expect(final.benchmarks[0]!.status).toBe('cancelled');
    expect(processesMentioning(workRoot)).toEqual([]);
    expect(await second.stop('SIGTERM')).toBe(0);
  });
});
