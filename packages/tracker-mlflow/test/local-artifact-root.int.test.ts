import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ARTIFACTS_NOT_STORED_TAG, createLogger } from '@evalhub/core';
import { startMlflowServer, type MlflowServer } from '@evalhub/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MlflowClient, NOTE_TAG } from '../src/index.js';
import {
  SINGLE_BENCHMARK,
  expectedMetrics,
  startHub,
  tagsOf,
  trackingSettled,
  type TestHub,
} from './harness.js';

// A real MLflow started the common way that breaks remote uploads: a local --default-artifact-root.
// Experiments then get a bare local path as artifact location, which the hub cannot write to.
let dir: string;
let server: MlflowServer;
let t: TestHub;
let mlflow: MlflowClient;
const warnings: { msg: string; detail?: string }[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'evalhub-mlflow-local-root-'));
  server = await startMlflowServer({
    dir: join(dir, 'mlflow'),
    extraArgs: ['--default-artifact-root', join(dir, 'mlflow', 'local-root')],
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        const o = JSON.parse(line) as { level: number; msg: string; detail?: string };
        if (o.level >= 40) warnings.push({ msg: o.msg, ...(o.detail ? { detail: o.detail } : {}) });
      }
      done();
    },
  });
  t = await startHub(server.trackingUri, {}, { logger: createLogger({ level: 'warn', destination: sink }) });
  mlflow = new MlflowClient({ trackingUri: server.trackingUri });
});
afterAll(async () => {
  await t?.close();
  await mlflow?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('MLflow with a local --default-artifact-root', () => {
  it('warns at start-up: the health check sees an artifact store the hub cannot write to', async () => {
    await expect
      .poll(() => warnings.find((w) => w.msg.startsWith('tracker degraded at start-up')), { timeout: 60_000 })
      .toBeDefined();
    const health = await t.hub.health();
    expect(health.components.tracker).toMatchObject({ status: 'degraded', name: 'mlflow' });
    expect(health.components.tracker!.detail).toMatch(/artifact store .*local-root.*--default-artifact-root/);
  });

  it('closes the run with the evaluation status, naming the artifacts it could not store', async () => {
    const done = await t.hub.evaluate({ ...SINGLE_BENCHMARK, experiment: { name: 'local-root', tags: {} } });
    expect(done.status).toBe('completed');
    const e = await trackingSettled(t.hub, done.id, ['synced'], 120_000);
    expect(e.tracking.pending_operations).toBe(0);
    expect(e.tracking.last_error).toMatch(/artifacts not stored: .*summary\.json/);

    const run = await mlflow.getRun(e.tracking.run_id!);
    expect(run.info.status).toBe('FINISHED');
    expect(run.info.end_time).toBeGreaterThan(0);
    const tags = tagsOf(run.data.tags);
    const refused = tags[ARTIFACTS_NOT_STORED_TAG]!.split(', ').sort();
    expect(refused).toEqual(['arc_easy/execution.log', 'arc_easy/results.json', 'summary.json']);
    for (const name of refused) expect(tags[NOTE_TAG]).toContain(`\`${name}\``);
    expect(tags[NOTE_TAG]).toContain('Artifacts not stored');
    // Metrics, params and tags landed as usual.
    const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    expect(metrics).toMatchObject(expectedMetrics(e));
    expect(tags['evalhub.status']).toBe('completed');
  });
});
