/**
 * Tracking throughput benchmark (not a test): N evaluations finish at once; how long until all of
 * them are synced to MLflow, and how many MLflow requests each one costs.
 *
 *   npx tsx --conditions=@evalhub/source tools/src/bench/tracking.ts [--evaluations 60] [--workers 1] [--concurrency N]
 *
 * Starts a real MLflow server (tools/src/mlflow/launcher.ts; one worker by default, as the issue's
 * drill, `--workers 4` for MLflow's own default) behind a counting pass-through proxy, and a real hub
 * (core's createHub, SQLite store in a temp folder, the MLflow tracker plugin) with the scripted
 * provider from @evalhub/core/testing: each evaluation runs one `ok` benchmark, which returns at once
 * with a metric and a result.json artifact (plus the summary artifact), so all N finish within a
 * second. Measures, from the moment the last evaluation finished: time until every evaluation's
 * tracking is `synced`; MLflow requests that reached the server per evaluation (API and artifact
 * uploads); retry warnings logged by the MLflow client and by the outbox; the most requests in flight
 * at MLflow at once. `--concurrency` sets the tracker's `max_concurrent_requests` when the plugin
 * has that option.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createHub, createLogger, loadConfig, type Evaluation } from '@evalhub/core';
import { ScriptedProvider } from '@evalhub/core/testing';
import { mlflowTrackerPlugin, optionsSchema } from '@evalhub/tracker-mlflow';
import { resolvePython, startMlflowServer } from '../mlflow/launcher.js';
import { faultyNetwork } from '../testing/faulty-network.js';

const { values } = parseArgs({
  options: {
    evaluations: { type: 'string', default: '60' },
    workers: { type: 'string', default: '1' },
    concurrency: { type: 'string' },
    'timeout-s': { type: 'string', default: '900' },
  },
});
const N = Math.max(1, Number(values.evaluations));
const WORKERS = Math.max(1, Number(values.workers));
const TIMEOUT_MS = Number(values['timeout-s']) * 1000;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'evalhub-bench-tracking-'));
  const python = await resolvePython();
  const server = await startMlflowServer({ python, dir: join(work, 'mlflow'), workers: WORKERS });

  // Counting proxy in front of MLflow: what reaches the server, and how much at once.
  const counts = { api: 0, artifacts: 0, inFlight: 0, maxInFlight: 0, errors: 0 };
  const proxy = await faultyNetwork(server.trackingUri, undefined, {
    onRequest: (_headers, { path }) => {
      if (path.includes('/mlflow-artifacts/')) counts.artifacts++;
      else counts.api++;
      counts.inFlight++;
      counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
    },
    onAnswer: ({ status }) => {
      counts.inFlight--;
      if (status >= 400) counts.errors++;
    },
  });
  const proxyUri = proxy.uri;

  // Log lines counted by message (retry warnings), nothing printed.
  const messages = new Map<string, number>();
  const reasons = new Map<string, number>();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const o = JSON.parse(line) as { level: number; msg?: string; reason?: string };
          if (o.level >= 40 && o.msg) {
            messages.set(o.msg, (messages.get(o.msg) ?? 0) + 1);
            if (o.reason) reasons.set(o.reason, (reasons.get(o.reason) ?? 0) + 1);
          }
        } catch {
          // not JSON
        }
      }
      done();
    },
  });
  const logger = createLogger({ level: 'warn', destination: sink });

  const dir = join(work, 'hub');
  const config = loadConfig({
    env: {},
    cwd: work,
    overrides: {
      data_dir: dir,
      tracker: 'none',
      discover_plugins: false,
      model_servers: { vllm: 'http://127.0.0.1:9/v1' },
      evaluation: { max_concurrent_evaluations: N, benchmark_concurrency: 1 },
    },
  });
  const trackerOptions: Record<string, unknown> = { tracking_uri: proxyUri };
  const props = (optionsSchema as { properties?: Record<string, unknown> }).properties ?? {};
  if (values.concurrency !== undefined && 'max_concurrent_requests' in props)
    trackerOptions.max_concurrent_requests = Number(values.concurrency);
  const hub = await createHub({
    config,
    logger,
    plugins: [{ plugin: mlflowTrackerPlugin as never, options: trackerOptions }],
    providers: [new ScriptedProvider('scripted')],
  });

  const body = (i: number) => ({
    model: { server: 'vllm', name: 'bench-model' },
    benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted', config: { metrics: { score: i / N } } }],
    experiment: { name: 'tracking-throughput', tags: { bench: 'tracking' } },
  });

  const t0 = performance.now();
  const submitted = await Promise.all(
    Array.from({ length: N }, (_, i) => hub.service.submit(body(i)).then((r) => r.evaluation.id)),
  );
  const finished = await Promise.all(submitted.map((id) => hub.service.wait(id)));
  const tFinished = performance.now();
  const finishSpreadMs =
    Math.max(...finished.map((e) => Date.parse(e.finished_at!))) -
    Math.min(...finished.map((e) => Date.parse(e.finished_at!)));

  // Wait until every evaluation's tracking is synced (or failed), reading the hub's own state.
  const deadline = Date.now() + TIMEOUT_MS;
  let states: Evaluation[] = [];
  for (;;) {
    states = await Promise.all(submitted.map((id) => hub.service.get(id)));
    if (states.every((e) => e.tracking.state === 'synced' || e.tracking.state === 'failed')) break;
    if (Date.now() > deadline) break;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  const tSynced = performance.now();
  const synced = states.filter((e) => e.tracking.state === 'synced').length;

  const result = {
    setup: {
      evaluations: N,
      mlflow_server_workers: WORKERS,
      tracker_options: { ...trackerOptions, tracking_uri: '(counting proxy)' },
      benchmarks_per_evaluation: 1,
      artifacts_per_evaluation: 2,
    },
    evaluations_finished_within_ms: finishSpreadMs,
    submit_to_all_finished_ms: Math.round(tFinished - t0),
    all_finished_to_all_synced_ms: Math.round(tSynced - tFinished),
    synced,
    failed: states.filter((e) => e.tracking.state === 'failed').length,
    still_pending: states.filter((e) => e.tracking.state === 'pending').length,
    requests_per_evaluation: {
      api: Number((counts.api / N).toFixed(2)),
      artifacts: Number((counts.artifacts / N).toFixed(2)),
    },
    mlflow_error_answers: counts.errors,
    max_requests_in_flight_at_mlflow: counts.maxInFlight,
    warnings: Object.fromEntries(messages),
    retry_reasons: Object.fromEntries(reasons),
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await hub.close();
  await proxy.close();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
