/**
 * MLflow tracker benchmark (not a test): HTTP requests and wall time to log one evaluation.
 *
 *   npx tsx tools/src/bench/mlflow.ts [--iterations 5] [--workers 4]   (BENCH_TRACE=1 prints each request's latency)
 *
 * Starts a real MLflow server (tools/src/mlflow/launcher.ts) and a counting pass-through proxy in
 * front of it. Logs one evaluation — 5 benchmarks × 40 metrics, 20 params, 3 artifacts — through
 * the Eval Hub MLflow tracker, then the same data with the Python `mlflow` client (MlflowClient,
 * batched calls) through the same proxy, and prints requests (API / artifacts) and median wall time
 * of both and their ratio. Also counts the tracker's requests at 1,000 metrics and when the metrics
 * arrive benchmark by benchmark (as the hub sends them while benchmarks finish one after another).
 * Targets (issue): ≤ 8 requests apart from artifacts, constant up to 1,000 metrics; wall time
 * ≤ 0.5× Python's.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Evaluation } from '@evalhub/core';
import { finishTags, MlflowTracker, runTags } from '@evalhub/tracker-mlflow';
import { repoRoot, resolvePython, startMlflowServer } from '../mlflow/launcher.js';
import { faultyNetwork } from '../testing/faulty-network.js';

const { values } = parseArgs({
  options: { iterations: { type: 'string', default: '5' }, workers: { type: 'string', default: '4' } },
});
const ITERATIONS = Math.max(1, Number(values.iterations));
/** MLflow server workers: MLflow's own default, 4 (`--workers 1` is faster in absolute terms on this SQLite backend). */
const WORKERS = Math.max(1, Number(values.workers));
const BENCHMARKS = 5;
const PARAMS = 20;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'evalhub-bench-mlflow-'));
  const python = await resolvePython();
  const server = await startMlflowServer({ python, dir: join(work, 'mlflow'), workers: WORKERS });

  // Counting proxy: every request of either client goes through it.
  const counts = { api: 0, artifacts: 0 };
  const proxy = await faultyNetwork(server.trackingUri, undefined, {
    onRequest: (_headers, { path }) => {
      if (path.includes('/mlflow-artifacts/')) counts.artifacts++;
      else counts.api++;
    },
    ...(process.env.BENCH_TRACE
      ? {
          onAnswer: ({ method, path, ms }) =>
            process.stderr.write(`${ms.toFixed(1)}ms ${method} ${path.split('?')[0]}\n`),
        }
      : {}),
  });
  const proxyUri = proxy.uri;
  const reset = () => {
    counts.api = 0;
    counts.artifacts = 0;
  };

  // Three artifacts: results, an execution log, the summary (~64 kB each).
  const artifacts = ['bench0/results.json', 'bench0/execution.log', 'summary/summary.json'].map((name) => {
    const path = join(work, 'files', name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, 'x'.repeat(64 * 1024));
    return { name, path };
  });

  const evaluation = (experiment: string): Evaluation => {
    const now = new Date().toISOString();
    return {
      id: randomUUID(),
      status: 'running',
      model: {
        server: 'vllm',
        name: 'meta-llama/llama-3.1-8b',
        url: 'http://127.0.0.1:9/v1',
        configuration: { temperature: 0.1, max_tokens: 512 },
      },
      experiment: { name: experiment, tags: { environment: 'bench', team: 'ml-ops' } },
      benchmarks: Array.from({ length: BENCHMARKS }, (_, i) => ({
        benchmark_id: `bench${i}`,
        provider_id: 'lm_evaluation_harness',
        config: { num_fewshot: 0 },
        status: 'completed' as const,
        progress: { fraction: 1 },
      })),
      tracking: { tracker: 'mlflow', state: 'pending', start_attempts: 1 }, // as core's outbox records a first attempt
      created_at: now,
      updated_at: now,
      started_at: now,
    };
  };
  const metricsOf = (perBenchmark: number, only?: number) => {
    const m: Record<string, number> = {};
    for (let b = 0; b < BENCHMARKS; b++) {
      if (only !== undefined && b !== only) continue;
      for (let i = 0; i < perBenchmark; i++) m[`bench${b}.metric_${i}`] = (b * 1000 + i) / 7919;
    }
    return m;
  };
  const params: Record<string, string> = {};
  for (let p = 0; p < PARAMS; p++) params[`model.setting_${p}`] = String(p);

  const tracker = new MlflowTracker({ options: { tracking_uri: proxyUri }, hubVersion: 'bench' });
  type Shape = 'one-batch' | 'per-benchmark';
  async function ours(experiment: string, perBenchmark: number, shape: Shape) {
    reset();
    const e = evaluation(experiment);
    const t0 = performance.now();
    const run = await tracker.startRun(e);
    // As core's outbox delivers a drained journal: artifacts concurrently, then the finish carrying
    // the merged batch. 'per-benchmark': each benchmark's batch logged on its own as it finishes.
    const final = { ...e, status: 'completed' as const, finished_at: new Date().toISOString() };
    if (shape === 'one-batch') {
      await Promise.all(artifacts.map((a) => run.logArtifact(a)));
      await run.finish(final, { params, metrics: metricsOf(perBenchmark), timestamp: Date.now() });
    } else {
      await run.log({ params, timestamp: Date.now() });
      for (let b = 0; b < BENCHMARKS; b++)
        await run.log({ metrics: metricsOf(perBenchmark, b), timestamp: Date.now() });
      await Promise.all(artifacts.map((a) => run.logArtifact(a)));
      await run.finish(final);
    }
    return { ms: performance.now() - t0, api: counts.api, artifacts: counts.artifacts };
  }

  // Ours: a new experiment (first iteration) then an existing one.
  const oursExp = `bench-ours-${randomUUID().slice(0, 8)}`;
  const oursRuns = [];
  for (let i = 0; i < ITERATIONS; i++) oursRuns.push(await ours(oursExp, 40, 'one-batch'));
  const at1000 = await ours(oursExp, 200, 'one-batch');
  const perBenchmark = await ours(oursExp, 40, 'per-benchmark');
  await tracker.close();

  // Python: the same data, same server, same proxy.
  const e0 = evaluation('x');
  const pyExp = `bench-python-${randomUUID().slice(0, 8)}`;
  const pyConfig = {
    tracking_uri: proxyUri,
    experiment: pyExp,
    experiment_tags: e0.experiment!.tags,
    iterations: 1,
    benchmarks: BENCHMARKS,
    metrics_per_benchmark: 40,
    params: PARAMS,
    artifacts: artifacts.map((a) => a.path),
    run_tags: Object.fromEntries(runTags(e0, 'bench').map((t) => [t.key, t.value])),
    finish_tags: finishTags({ ...e0, status: 'completed' }),
  };
  const runPython = (iterations: number) =>
    new Promise<{ times_ms: number[]; api: number; artifacts: number; processMs: number }>((ok, fail) => {
      reset();
      const t0 = performance.now();
      const child = execFile(
        python,
        [join(repoRoot, 'tools', 'src', 'bench', 'mlflow_python.py')],
        {
          env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' },
          maxBuffer: 16 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          if (err) return fail(new Error(`${err.message}\n${stderr}`));
          const out = JSON.parse(stdout.trim().split('\n').pop()!) as { times_ms: number[] };
          ok({ ...out, api: counts.api, artifacts: counts.artifacts, processMs: performance.now() - t0 });
        },
      );
      child.stdin!.end(JSON.stringify({ ...pyConfig, iterations }));
    });
  const pyFirst = await runPython(1); // creates the experiment
  const pyRest = await runPython(ITERATIONS);

  const oursFirst = oursRuns[0]!;
  const oursWarm = oursRuns.slice(1);
  const oursMs = median(oursWarm.length ? oursWarm.map((r) => r.ms) : [oursFirst.ms]);
  const pyMs = median(pyRest.times_ms);
  const result = {
    data: {
      benchmarks: BENCHMARKS,
      metrics: BENCHMARKS * 40,
      params: PARAMS,
      artifacts: artifacts.length,
      iterations: ITERATIONS,
      mlflow_server_workers: WORKERS,
    },
    ours: {
      new_experiment: {
        api_requests: oursFirst.api,
        artifact_requests: oursFirst.artifacts,
        ms: Math.round(oursFirst.ms),
      },
      existing_experiment: {
        api_requests: oursRuns.at(-1)!.api,
        artifact_requests: oursRuns.at(-1)!.artifacts,
        median_ms: Math.round(oursMs),
      },
      at_1000_metrics: {
        api_requests: at1000.api,
        artifact_requests: at1000.artifacts,
        ms: Math.round(at1000.ms),
      },
      per_benchmark_batches: {
        api_requests: perBenchmark.api,
        artifact_requests: perBenchmark.artifacts,
        ms: Math.round(perBenchmark.ms),
      },
    },
    python: {
      new_experiment: {
        api_requests: pyFirst.api,
        artifact_requests: pyFirst.artifacts,
        ms: Math.round(pyFirst.times_ms[0]!),
      },
      existing_experiment: {
        api_requests: Math.round(pyRest.api / ITERATIONS),
        artifact_requests: Math.round(pyRest.artifacts / ITERATIONS),
        median_ms: Math.round(pyMs),
      },
      process_ms_with_imports: Math.round(pyRest.processMs),
    },
    ratio: {
      wall_time_ours_over_python: Number((oursMs / pyMs).toFixed(3)),
      api_requests_ours_over_python: Number((oursRuns.at(-1)!.api / (pyRest.api / ITERATIONS)).toFixed(3)),
    },
    targets: {
      api_requests_le_8: oursFirst.api <= 8 && at1000.api <= 8,
      wall_time_le_half_python: oursMs <= 0.5 * pyMs,
    },
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  await proxy.close();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
