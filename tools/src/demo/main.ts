/**
 * The main job, end to end on embedded defaults (`npm run demo`):
 *   Python tools (set up if missing) → the fixture model server (a deterministic stand-in for vLLM)
 *   → a real MLflow server → the hub with every installed plugin → the spec's three example requests
 *   over HTTP with live progress → a results table per evaluation with its MLflow links.
 *
 * Flags: --keep (leave the hub and MLflow running until Ctrl-C), --json (print the results as JSON).
 * State goes to .evalhub-demo/ (git-ignored; EVALHUB_DEMO_DIR overrides); each run starts fresh.
 */
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, loadConfig, type Evaluation } from '@evalhub/core';
import { HubClient, startServer, type RunningServer } from '@evalhub/server';
import { startFixtureModelServer, type FixtureModelServer } from '../fixture-model/index.js';
import { repoRoot, resolvePython, startMlflowServer, type MlflowServer } from '../mlflow/launcher.js';
import { DEMO_REQUESTS } from './requests.js';
import { readBackRun, renderEvaluation, type DemoResult } from './report.js';

const { values: flags } = parseArgs({
  options: { keep: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
});
const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const step = (line: string): void => out(`\x1b[1m▸ ${line}\x1b[0m`);

const stateDir = process.env.EVALHUB_DEMO_DIR ?? join(repoRoot, '.evalhub-demo');
const started: { stop(): Promise<void> }[] = [];
let stopping: Promise<void> | undefined;
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
  })();
  return stopping;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    out('\nStopping everything the demo started…');
    void stopAll().then(() => process.exit(130));
  });
}

/** Prints benchmark status and progress (every 25 %) from the event stream; resolves with the result. */
async function follow(hub: HubClient, evaluation: Evaluation): Promise<Evaluation> {
  const lastProgress = new Map<string, number>();
  for await (const ev of hub.events(evaluation.id)) {
    if (ev.type === 'benchmark_status') out(`    ${ev.benchmark_id}: ${ev.status}`);
    else if (ev.type === 'progress' && ev.benchmark_id && ev.progress) {
      const pct = Math.floor(ev.progress.fraction * 100);
      const prev = lastProgress.get(ev.benchmark_id) ?? -1;
      if (pct >= prev + 25 || (pct === 100 && prev !== 100)) {
        lastProgress.set(ev.benchmark_id, pct);
        const counts = ev.progress.total ? ` (${ev.progress.completed ?? 0}/${ev.progress.total})` : '';
        out(`    ${ev.benchmark_id}: ${pct}%${counts}`);
      }
    } else if (ev.type === 'result' && ev.evaluation) return ev.evaluation;
  }
  return hub.get(evaluation.id);
}

async function waitSynced(hub: HubClient, id: string): Promise<Evaluation> {
  for (;;) {
    const e = await hub.get(id);
    if (e.tracking.state !== 'pending') return e;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const t0 = performance.now();
  step('Python tools (mlflow, lm-eval, ragas)');
  const python = await resolvePython();
  out(`  ${python}`);

  rmSync(stateDir, { recursive: true, force: true });
  mkdirSync(stateDir, { recursive: true });
  const dataRoot = join(stateDir, 'workspace');
  cpSync(join(repoRoot, 'tools', 'demo'), dataRoot, { recursive: true });

  step('Fixture model server (deterministic vLLM-compatible stand-in)');
  const model: FixtureModelServer = await startFixtureModelServer({
    host: '127.0.0.1',
    port: 0,
    modelName: 'meta-llama/llama-3.1-8b',
  });
  started.push({ stop: () => model.close() });
  out(`  ${model.baseUrl}`);

  step('MLflow tracking server');
  const mlflow: MlflowServer = await startMlflowServer({ python, dir: join(stateDir, 'mlflow') });
  started.push(mlflow);
  out(`  ${mlflow.trackingUri} (started in ${(mlflow.startupMs / 1000).toFixed(1)} s)`);

  step('Eval Hub');
  const config = loadConfig({
    file: join(dataRoot, 'evalhub.config.json'),
    env: {
      MLFLOW_TRACKING_URI: mlflow.trackingUri,
      MLFLOW_EXPERIMENT_PREFIX: 'eval-hub',
      EVALHUB_DATA_DIR: join(stateDir, 'hub'),
      EVALHUB_PYTHON: python,
      EVALHUB_MODEL_SERVER_VLLM: model.baseUrl,
      EVALHUB_LOG_LEVEL: 'error',
    },
  });
  const server: RunningServer = await startServer({
    config,
    hubOptions: {
      resolveFrom: [repoRoot],
      logger: createLogger({ level: 'error', destination: process.stderr as never }),
    },
    host: '127.0.0.1',
    port: 0,
  });
  started.push({ stop: () => server.close() });
  out(
    `  ${server.url}  (providers: ${server.hub.providers.ids().join(', ')}; tracker: ${server.hub.tracker.name})`,
  );

  const hub = new HubClient({ url: server.url });
  const results: DemoResult[] = [];
  for (const { title, body } of DEMO_REQUESTS) {
    step(`${title}: POST /api/v1/evaluations`);
    const { status, body: created } = await hub.submit(body);
    if (status !== 202) throw new Error(`the hub answered ${status} (an earlier submission)`);
    out(`  ${status} /api/v1/evaluations/${encodeURIComponent(created.id)}`);
    await follow(hub, created);
    const final = await waitSynced(hub, created.id);
    const mlflowRun = await readBackRun(mlflow.trackingUri, final);
    results.push({ title, evaluation: final, mlflow: mlflowRun });
    for (const line of renderEvaluation(title, final, mlflowRun)) out(line);
  }

  const seconds = (performance.now() - t0) / 1000;
  if (flags.json)
    out(
      JSON.stringify(
        results.map((r) => ({ title: r.title, evaluation: r.evaluation, mlflow: r.mlflow })),
        null,
        2,
      ),
    );
  out();
  out(
    `Done in ${seconds.toFixed(0)} s. MLflow UI: ${mlflow.trackingUri}/#/experiments?workflowType=machine_learning`,
  );
  const allMatch = results.every((r) => r.mlflow.matches);
  out(
    allMatch
      ? 'Every score printed above equals the value stored in MLflow.'
      : 'WARNING: some scores differ from MLflow (see above).',
  );
  if (flags.keep) {
    out('Hub and MLflow keep running (--keep); press Ctrl-C to stop them.');
    await new Promise(() => undefined);
  } else {
    out(
      `To browse the runs later: ${python.replace(/python$/, 'mlflow')} ui --backend-store-uri sqlite:///${join(stateDir, 'mlflow', 'mlflow.db')} --port 5000`,
    );
  }
  await stopAll();
  if (!allMatch || results.some((r) => r.evaluation.status !== 'completed')) process.exitCode = 1;
}

main().catch(async (err: unknown) => {
  process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
