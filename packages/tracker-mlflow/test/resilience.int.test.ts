import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@evalhub/core/testing';
import { faultyNetwork, startMlflowServer, type MlflowServer } from '@evalhub/tools';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { MlflowClient } from '../src/index.js';
import {
  ENGINE_METRICS,
  evaluateAndSync,
  expectedMetrics,
  runsOf,
  startHub,
  tagsOf,
  trackingSettled,
} from './harness.js';

const trackingUri = inject('mlflowTrackingUri');
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => undefined);
});

describe('MLflow stopped mid-evaluation, then restarted', () => {
  it('keeps the tracking in the durable outbox across a hub restart and loses nothing', async () => {
    const mlflowDir = await mkdtemp(join(tmpdir(), 'evalhub-mlflow-outage-'));
    const hubDir = await mkdtemp(join(tmpdir(), 'evalhub-hub-outage-'));
    cleanup.push(
      () => rm(mlflowDir, { recursive: true, force: true }),
      () => rm(hubDir, { recursive: true, force: true }),
    );
    let server: MlflowServer = await startMlflowServer({ dir: mlflowDir });
    cleanup.push(() => server.stop());
    const options = { http_request_max_retries: 1, http_request_timeout: 10 };
    const gate = join(hubDir, 'GO');

    const first = await startHub(server.trackingUri, options, { dir: hubDir });
    let closedFirst = false;
    cleanup.push(async () => {
      if (!closedFirst) await first.close();
    });
    const { evaluation } = await first.hub.service.submit({
      model: { server: 'vllm', name: 'meta-llama/llama-3.1-8b', configuration: { temperature: 0 } },
      benchmarks: [
        { benchmark_id: 'arc_easy', provider_id: 'lm_evaluation_harness', config: { num_fewshot: 0 } },
        // Runs until the test opens the gate (a real process waiting on a real file).
        {
          benchmark_id: 'command',
          provider_id: 'scripted',
          config: {
            command: ['sh', '-c', `while [ ! -f '${gate}' ]; do sleep 0.05; done`],
            metrics: { score: 0.123456789 },
          },
        },
        { benchmark_id: 'faithfulness', provider_id: 'ragas', config: {} },
      ],
      experiment: { name: `outage-${randomUUID().slice(0, 8)}`, tags: { scenario: 'outage' } },
    });
    // The run exists in MLflow before the outage.
    await until('the MLflow run', async () => (await first.hub.service.get(evaluation.id)).tracking.run_id);
    await server.stop();

    await writeFile(gate, 'go');
    const finished = await first.hub.service.wait(evaluation.id);
    expect(finished.status).toBe('completed'); // the evaluation never depended on MLflow
    const pending = await until('a failed delivery', async () => {
      const e = await first.hub.service.get(evaluation.id);
      return e.tracking.last_error && (e.tracking.pending_operations ?? 0) > 0 ? e : undefined;
    });
    expect(pending.tracking.state).toBe('pending');
    expect(pending.tracking.last_error).toMatch(/ECONNREFUSED|connect/i);
    const health = await first.hub.health();
    expect(health.components.tracker?.status).toBe('down');
    expect(health.status).toBe('degraded');

    // The hub restarts while MLflow is still down; then MLflow comes back on the same folder and port.
    await first.close();
    closedFirst = true;
    server = await startMlflowServer({ dir: mlflowDir, port: server.port });
    const second = await startHub(server.trackingUri, options, { dir: hubDir });
    cleanup.push(() => second.close());
    const e = await trackingSettled(second.hub, evaluation.id);
    expect(e.tracking.state).toBe('synced');
    expect(e.tracking.pending_operations).toBe(0);
    expect((await second.hub.health()).components.tracker?.status).toBe('ok');

    // Nothing is missing: every metric, the final status, the artifacts; still exactly one run.
    const mlflow = new MlflowClient({ trackingUri: server.trackingUri });
    cleanup.push(() => mlflow.close());
    const run = await mlflow.getRun(e.tracking.run_id!);
    expect(run.info.status).toBe('FINISHED');
    const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    const expected = expectedMetrics(e);
    expect(Object.keys(expected).length).toBeGreaterThan(8);
    for (const [k, v] of Object.entries(expected)) expect(metrics[k], k).toBe(v);
    expect(metrics['arc_easy.acc']).toBe(ENGINE_METRICS.arc_easy!.acc);
    expect(metrics['command.score']).toBe(0.123456789);
    expect(metrics['evaluation.benchmarks_completed']).toBe(3);
    expect(tagsOf(run.data.tags)['evalhub.status']).toBe('completed');
    const files = (await mlflow.listArtifacts(run.info.artifact_uri)).map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['summary.json', 'arc_easy', 'command', 'faithfulness']));
    const runs = await runsOf(mlflow, e.tracking.experiment_id!);
    expect(runs.filter((r) => tagsOf(r.data.tags)['evalhub.evaluation_id'] === e.id)).toHaveLength(1);
  });
});

describe('MLflow answering 503', () => {
  it('is retried (client retries, then the outbox) and never duplicates the run', async () => {
    let createdOnce = false;
    const net = await faultyNetwork(trackingUri, (n, path) => {
      if (n <= 8) return 'refuse'; // more than the client's own retries: the outbox retries too
      if (path.includes('/runs/create') && !createdOnce) {
        createdOnce = true;
        return 'fail-after'; // the run is created but the client is told it failed
      }
      return 'pass';
    });
    cleanup.push(net.close);
    const h = await startHub(net.uri, { http_request_max_retries: 2 });
    cleanup.push(() => h.close());
    const e = await evaluateAndSync(h.hub, {
      model: { server: 'vllm', name: 'acme/flaky' },
      benchmarks: [
        { benchmark_id: 'arc_easy', provider_id: 'lm_evaluation_harness', config: { num_fewshot: 0 } },
      ],
      experiment: { name: `flaky-${randomUUID().slice(0, 8)}` },
    });
    expect(net.answered503.length).toBe(9);
    expect(net.answered503.some((p) => p.includes('/runs/create'))).toBe(true);
    expect(e.tracking.last_error).toBeUndefined();
    const mlflow = new MlflowClient({ trackingUri });
    cleanup.push(() => mlflow.close());
    const runs = await runsOf(mlflow, e.tracking.experiment_id!);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.info.run_id).toBe(e.tracking.run_id);
    const run = await mlflow.getRun(e.tracking.run_id!);
    expect(run.info.status).toBe('FINISHED');
    expect(Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]))['arc_easy.acc']).toBe(
      ENGINE_METRICS.arc_easy!.acc,
    );
  });
});

describe('MLflow refusing the closing log-batch', () => {
  it('keeps the run RUNNING until its last metrics are stored: FINISHED means complete', async () => {
    let refuseClosing = true;
    let refusedClosing = 0;
    const net = await faultyNetwork(trackingUri, (_n, path, body) => {
      if (refuseClosing && path.includes('/runs/log-batch') && body.includes('evaluation.duration_seconds')) {
        refusedClosing++;
        return 'refuse';
      }
      return 'pass';
    });
    cleanup.push(net.close);
    const h = await startHub(net.uri, { http_request_max_retries: 1 });
    cleanup.push(() => h.close());
    const done = await h.hub.evaluate({
      model: { server: 'vllm', name: 'acme/closing' },
      benchmarks: [
        { benchmark_id: 'arc_easy', provider_id: 'lm_evaluation_harness', config: { num_fewshot: 0 } },
      ],
      experiment: { name: `closing-${randomUUID().slice(0, 8)}` },
    });
    // The client's retry and at least one of the outbox's: the finish has been tried and failed.
    await until('the closing batch to be refused twice', async () =>
      refusedClosing >= 3 ? true : undefined,
    );
    const pending = await h.hub.service.get(done.id);
    expect(pending.tracking.state).toBe('pending');
    const mlflow = new MlflowClient({ trackingUri });
    cleanup.push(() => mlflow.close());
    const open = await mlflow.getRun(pending.tracking.run_id!);
    expect(open.info.status).toBe('RUNNING');
    expect(open.data.metrics.map((m) => m.key)).not.toContain('evaluation.duration_seconds');

    refuseClosing = false;
    const synced = await trackingSettled(h.hub, done.id);
    expect(synced.tracking.state).toBe('synced');
    const closed = await mlflow.getRun(pending.tracking.run_id!);
    expect(closed.info.status).toBe('FINISHED');
    expect(closed.data.metrics.map((m) => m.key)).toContain('evaluation.duration_seconds');
  });
});
