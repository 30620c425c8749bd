import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Evaluation } from '@evalhub/core';
import { until } from '@evalhub/core/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolvePython, repoRoot } from '../src/index.js';
import { startHubProcess, type HubProcess } from '../src/testing/hub-process.js';
import { api } from './hub-api.js';
import { groupMembers, processesMentioning } from './processes.js';

// Real parts: `evalhub serve` as a process, the real lm-eval provider and engine; the fixture model
// server (stands in for model weights) hangs every request, so lm-eval waits on the model server.

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
      () => processesMentioning(join(workRoot, '0-arc_easy', 'attempt-1')).length === 0,
      { timeoutMs: 60_000 },
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
