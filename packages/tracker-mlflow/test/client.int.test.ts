import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MlflowClient, MlflowError, RUN_KEY_TAG, type Metric } from '../src/index.js';
import { faultyNetwork } from '@evalhub/tools';

// Every test talks to the real MLflow server started by tools/test/setup-mlflow.ts.
const trackingUri = inject('mlflowTrackingUri');
const unique = (what: string) => `client-it-${what}-${randomUUID().slice(0, 8)}`;
const fast = { maxAttempts: 4, baseDelayMs: 20, maxDelayMs: 200 };

let client: MlflowClient;
beforeAll(() => {
  client = new MlflowClient({ trackingUri, retry: fast });
});
afterAll(async () => {
  await client.close();
});

function sameDouble(a: number, b: number): boolean {
  return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
}

describe('MlflowClient against a real MLflow server', () => {
  it('reports health and version', async () => {
    expect(await client.health()).toBe(true);
    expect(await client.version()).toMatch(/^3\./);
  });

  it('creates, reads, tags and searches experiments', async () => {
    const name = unique('exp');
    const id = await client.createExperiment(name, { tags: [{ key: 'team', value: 'ml-ops' }] });
    const byName = await client.getExperimentByName(name);
    expect(byName).toMatchObject({
      experiment_id: id,
      name,
      lifecycle_stage: 'active',
      tags: [{ key: 'team', value: 'ml-ops' }],
    });
    expect(byName?.artifact_location).toBe(`mlflow-artifacts:/${id}`);
    await client.setExperimentTag(id, 'mlflow.note.content', 'd'.repeat(6000));
    const exp = await client.getExperiment(id);
    const note = exp.tags.find((t) => t.key === 'mlflow.note.content')?.value ?? '';
    expect(note.length).toBeLessThanOrEqual(5000);
    expect(note).toMatch(/…\[truncated 6000 chars\]$/);
    const found = await client.searchExperiments({ filter: `name = '${name}'` });
    expect(found.items.map((e) => e.experiment_id)).toEqual([id]);
    expect(await client.getExperimentByName(unique('absent'))).toBeUndefined();
  });

  it('treats a soft-deleted experiment name as a conflict, and restores it only when asked', async () => {
    const name = unique('deleted');
    const id = await client.createExperiment(name);
    await client.deleteExperiment(id);
    const conflict = (await client.createExperiment(name).catch((e: unknown) => e)) as MlflowError;
    expect(conflict).toBeInstanceOf(MlflowError);
    expect(conflict.status).toBe(400);
    expect(conflict.isAlreadyExists).toBe(true);

    const err = (await client.getOrCreateExperiment(name).catch((e: unknown) => e)) as MlflowError;
    expect(err.errorCode).toBe('EXPERIMENT_DELETED');
    expect(err.message).toContain(name);
    expect(err.message).toContain(`--experiment-id ${id}`);

    const restored = await client.getOrCreateExperiment(name, { restoreDeleted: true });
    expect(restored).toMatchObject({ created: false, restored: true });
    expect(restored.experiment).toMatchObject({ experiment_id: id, lifecycle_stage: 'active' });
  });

  it('get-or-create survives concurrent creators', async () => {
    const name = unique('concurrent');
    const results = await Promise.all(Array.from({ length: 5 }, () => client.getOrCreateExperiment(name)));
    expect(new Set(results.map((r) => r.experiment.experiment_id)).size).toBe(1);
    expect(results.filter((r) => r.created).length).toBe(1);
  });

  it('runs the run lifecycle: create, tag, update, search, delete', async () => {
    const expId = await client.createExperiment(unique('runs'));
    const start = Date.now();
    const run = await client.createRun(expId, {
      runName: 'granite-abc123',
      startTime: start,
      tags: [{ key: 'source', value: 'it' }],
    });
    expect(run.info).toMatchObject({
      experiment_id: expId,
      run_name: 'granite-abc123',
      status: 'RUNNING',
      start_time: start,
      lifecycle_stage: 'active',
    });
    expect(run.info.artifact_uri).toBe(`mlflow-artifacts:/${expId}/${run.info.run_id}/artifacts`);

    await client.setTag(run.info.run_id, 'temp', 'x');
    await client.deleteTag(run.info.run_id, 'temp');
    await client.deleteTag(run.info.run_id, 'temp'); // absent: not an error
    const end = start + 1234;
    const info = await client.updateRun(run.info.run_id, { status: 'FINISHED', endTime: end });
    expect(info).toMatchObject({ status: 'FINISHED', end_time: end });

    const got = await client.getRun(run.info.run_id);
    expect(got.data.metrics).toEqual([]);
    expect(got.data.params).toEqual([]);
    expect(Object.fromEntries(got.data.tags.map((t) => [t.key, t.value]))).toMatchObject({
      source: 'it',
      'mlflow.runName': 'granite-abc123',
    });
    expect(got.data.tags.some((t) => t.key === 'temp')).toBe(false);

    const search = await client.searchRuns({
      experimentIds: [expId],
      filter: "attributes.run_name = 'granite-abc123'",
    });
    expect(search.items.map((r) => r.info.run_id)).toEqual([run.info.run_id]);

    await client.deleteRun(run.info.run_id);
    expect((await client.getRun(run.info.run_id)).info.lifecycle_stage).toBe('deleted');
    expect((await client.searchRuns({ experimentIds: [expId] })).items).toEqual([]);
    const logToDeleted = (await client
      .setTag(run.info.run_id, 'k', 'v')
      .catch((e: unknown) => e)) as MlflowError;
    expect(logToDeleted.status).toBe(400);
  });

  it('logs > 1000 metrics in chunks and reads every value back bit for bit, NaN included', async () => {
    const expId = await client.createExperiment(unique('batch'));
    const { run } = await client.createRunIdempotent(expId, randomUUID());
    const ts = Date.now();
    const special = [NaN, Infinity, -Infinity, 0, Number.MIN_VALUE, -Number.MAX_VALUE, 0.1 + 0.2, 1 / 3];
    // special values first, then random bit patterns (any double, subnormals and NaN payloads included)
    const values = Array.from(
      { length: 2500 },
      (_, i) => special[i] ?? new Float64Array(randomBytes(8).buffer)[0]!,
    );
    const metrics = values.map((value, i) => ({
      key: `bench_${i % 1250}.acc,none`,
      value,
      timestamp: ts,
      step: Math.floor(i / 1250),
    }));
    const params = Array.from({ length: 150 }, (_, i) => ({ key: `arc_easy.p${i}`, value: `v${i}` }));
    const tags = Array.from({ length: 120 }, (_, i) => ({ key: `t${i}`, value: `tag ${i}` }));
    params.push({ key: 'long', value: 'L'.repeat(7000) });

    const result = await client.logBatch(run.info.run_id, { metrics, params, tags });
    expect(result.requests).toBe(3);
    expect(result.truncated).toEqual(['long']);
    expect(result.renamed['bench_0.acc,none']).toBe('bench_0.acc_none');
    // retried batch (same rows): de-duplicated by the server, params idempotent
    await client.logBatch(run.info.run_id, { metrics: metrics.slice(0, 10), params: params.slice(0, 5) });

    const got = await client.getRun(run.info.run_id);
    expect(got.data.params).toHaveLength(151);
    expect(got.data.params.find((p) => p.key === 'long')?.value).toMatch(/^L+…\[truncated 7000 chars\]$/);
    expect(got.data.tags.filter((t) => t.key.startsWith('t'))).toHaveLength(120);
    expect(got.data.metrics).toHaveLength(1250);

    const expected = (v: number) =>
      v === Infinity ? Number.MAX_VALUE : v === -Infinity ? -Number.MAX_VALUE : v;
    for (const k of [0, 1, 2, 3, 7, 500, 1249]) {
      const history: Metric[] = await client.getMetricHistory(run.info.run_id, `bench_${k}.acc_none`);
      expect(history.map((m) => m.step)).toEqual([0, 1]);
      for (const m of history) {
        const v = values[m.step * 1250 + k]!;
        expect(sameDouble(m.value, expected(v)), `${m.key}@${m.step}: ${m.value} vs ${v}`).toBe(true);
        expect(m.timestamp).toBe(ts);
      }
    }
    // Every latest value (step 1) equals what was sent
    for (const m of got.data.metrics) {
      const k = Number(/^bench_(\d+)\./.exec(m.key)![1]);
      expect(sameDouble(m.value, expected(values[1250 + k]!)), m.key).toBe(true);
    }
  });

  it('uploads, lists and downloads artifacts through the proxy, byte for byte', async () => {
    const expId = await client.createExperiment(unique('artifacts'));
    const { run } = await client.createRunIdempotent(expId, randomUUID());
    const uri = run.info.artifact_uri;
    const blob = randomBytes(300_000);
    const summary = JSON.stringify({ scores: { 'arc_easy.acc': 0.5 }, note: 'ünïcode ✓' });
    await client.uploadArtifact(uri, 'results/arc easy (1%).bin', blob);
    await client.uploadArtifact(uri, 'summary.json', summary, 'application/json');
    await client.uploadArtifact(uri, 'logs/arc_easy/stdout.log', '');

    const root = await client.listArtifacts(uri);
    expect(root.map((f) => [f.path, f.is_dir]).sort()).toEqual([
      ['logs', true],
      ['results', true],
      ['summary.json', false],
    ]);
    const results = await client.listArtifacts(uri, 'results');
    expect(results).toEqual([{ path: 'results/arc easy (1%).bin', is_dir: false, file_size: blob.length }]);
    expect((await client.downloadArtifact(uri, 'results/arc easy (1%).bin')).equals(blob)).toBe(true);
    expect((await client.downloadArtifact(uri, 'summary.json')).toString('utf8')).toBe(summary);
    expect((await client.downloadArtifact(uri, 'logs/arc_easy/stdout.log')).length).toBe(0);
    await expect(client.uploadArtifact(uri, 'bad#name.txt', 'x')).rejects.toThrow(/'#'/);
    const missing = (await client.downloadArtifact(uri, 'nope.txt').catch((e: unknown) => e)) as MlflowError;
    expect(missing).toBeInstanceOf(MlflowError);
    expect(missing.status).toBeGreaterThanOrEqual(400);
  });

  it('creates a run once even when the create answer is lost and the request is retried', async () => {
    const expId = await client.createExperiment(unique('idempotent'));
    let drops = 0;
    const proxy = await faultyNetwork(trackingUri, (_n, p) =>
      p.endsWith('/runs/create') && drops++ === 0 ? 'drop-after' : 'pass',
    );
    const viaProxy = new MlflowClient({ trackingUri: proxy.uri, retry: fast });
    try {
      const key = randomUUID();
      const first = await viaProxy.createRunIdempotent(expId, key, { runName: 'retried' });
      // The create reached MLflow, its answer was lost, the retry found the run instead of creating another.
      expect(first.created).toBe(false);
      expect(proxy.seen.filter((s) => s.endsWith('/runs/create'))).toHaveLength(1);
      const again = await viaProxy.createRunIdempotent(expId, key);
      expect(again).toMatchObject({ created: false, run: { info: { run_id: first.run.info.run_id } } });
      const runs = await client.searchRuns({ experimentIds: [expId] });
      expect(runs.items.map((r) => r.info.run_id)).toEqual([first.run.info.run_id]);
      expect(runs.items[0]!.data.tags).toContainEqual({ key: RUN_KEY_TAG, value: key });
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });

  it('skips the lookup before a first create the caller knows is new, and still finds the run on a replay', async () => {
    const expId = await client.createExperiment(unique('known-new'));
    const proxy = await faultyNetwork(trackingUri, () => 'pass');
    const viaProxy = new MlflowClient({ trackingUri: proxy.uri, retry: fast });
    try {
      const key = randomUUID();
      const first = await viaProxy.createRunIdempotent(expId, key, { knownNew: true });
      expect(first.created).toBe(true);
      expect(proxy.seen.filter((s) => s.includes('/runs/search'))).toHaveLength(0);
      const replay = await viaProxy.createRunIdempotent(expId, key);
      expect(replay).toMatchObject({ created: false, run: { info: { run_id: first.run.info.run_id } } });
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });

  it('retries a 503 on the way to MLflow and the data arrives once', async () => {
    const expId = await client.createExperiment(unique('503'));
    const { run } = await client.createRunIdempotent(expId, randomUUID());
    let busy = 2;
    const proxy = await faultyNetwork(trackingUri, (_n, p) =>
      p.endsWith('/runs/log-batch') && busy-- > 0 ? 'refuse' : 'pass',
    );
    const viaProxy = new MlflowClient({ trackingUri: proxy.uri, retry: fast });
    try {
      await viaProxy.logBatch(run.info.run_id, { metrics: [{ key: 'acc', value: 0.75, timestamp: 1 }] });
      expect(proxy.seen.filter((s) => s.endsWith('/runs/log-batch'))).toHaveLength(3);
      expect(await client.getMetricHistory(run.info.run_id, 'acc')).toEqual([
        { key: 'acc', value: 0.75, timestamp: 1, step: 0 },
      ]);
    } finally {
      await viaProxy.close();
      await proxy.close();
    }
  });

  it('works behind a tracking URI path prefix', async () => {
    // A prefix-stripping hop in front of the real server, like an ingress mounting MLflow under /mlflow.
    const ingress = await faultyNetwork(trackingUri, undefined, {
      mapPath: (p) => p.replace(/^\/mlflow/, ''),
    });
    const prefixed = new MlflowClient({ trackingUri: `${ingress.uri}/mlflow/`, retry: fast });
    try {
      const { experiment } = await prefixed.getOrCreateExperiment(unique('prefix'));
      const { run } = await prefixed.createRunIdempotent(experiment.experiment_id, randomUUID());
      await prefixed.uploadArtifact(run.info.artifact_uri, 'a.txt', 'hello');
      expect((await prefixed.downloadArtifact(run.info.artifact_uri, 'a.txt')).toString()).toBe('hello');
    } finally {
      await prefixed.close();
      await ingress.close();
    }
  });
});
