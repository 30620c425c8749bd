/**
 * Shared set-up of the tracker's integration tests: a real hub (core's createHub, SQLite store in a
 * temp folder) with the MLflow tracker plugin pointed at a real MLflow server, and a small provider
 * that owns the spec's benchmarks (`arc_easy` for `lm_evaluation_harness`, `faithfulness` for
 * `ragas`) and returns engine-like numbers without a model.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BenchmarkFailedError,
  createHub,
  loadConfig,
  silentLogger,
  type BenchmarkOutcome,
  type BenchmarkTask,
  type Evaluation,
  type EvaluationProvider,
  type Hub,
  type Logger,
  type ProviderDescriptor,
  type RunContext,
} from '@evalhub/core';
import { ScriptedProvider } from '@evalhub/core/testing';
import {
  MlflowClient,
  mlflowTrackerPlugin,
  type MlflowTracker,
  type MlflowTrackerOptions,
  type Run,
} from '../src/index.js';

/** Exact numbers an engine might report (not round: the value in MLflow must equal them bit for bit). */
export const ENGINE_METRICS: Record<string, Record<string, number>> = {
  arc_easy: {
    acc: 0.7803030303030303,
    acc_stderr: 0.008496491958225385,
    acc_norm: 0.7525252525252525,
    acc_norm_stderr: 0.00885245934381818,
  },
  faithfulness: { faithfulness: 0.8571428571428571 },
};

/**
 * The provider of the spec's benchmarks. Runs a real child process through the runtime (its output
 * becomes the benchmark's execution log), writes a results file and returns fixed metrics.
 * `config.fail` makes it fail with that message.
 */
export class SpecBenchmarksProvider implements EvaluationProvider {
  constructor(
    private readonly id: 'lm_evaluation_harness' | 'ragas',
    private readonly benchmark: 'arc_easy' | 'faithfulness',
  ) {}

  describe(): ProviderDescriptor {
    return {
      id: this.id,
      name: this.id,
      version: '1.0.0',
      benchmarks: [
        {
          id: this.benchmark,
          name: this.benchmark,
          description: `${this.benchmark} (test provider)`,
          category: 'testing',
          metrics: Object.keys(ENGINE_METRICS[this.benchmark]!),
          primary_metric: Object.keys(ENGINE_METRICS[this.benchmark]!)[0]!,
        },
      ],
    };
  }

  async run(task: BenchmarkTask, ctx: RunContext): Promise<BenchmarkOutcome> {
    const config = task.benchmark.config as { fail?: string };
    const script = `console.log('running ${this.benchmark} against ' + process.argv[1]); console.log('done')`;
    const r = await ctx.exec({ command: process.execPath, args: ['-e', script, task.model.name] });
    if (r.exitCode !== 0) throw new BenchmarkFailedError(`engine exited with ${r.exitCode}`);
    if (config.fail) throw new BenchmarkFailedError(config.fail);
    const metrics = ENGINE_METRICS[this.benchmark]!;
    await ctx.artifact({
      name: 'results.json',
      content: JSON.stringify({ task: this.benchmark, metrics, config: task.benchmark.config }),
      contentType: 'application/json',
    });
    return {
      metrics,
      primaryMetric: Object.keys(metrics)[0]!,
      samples: 2376,
      params: { version: '1.0' },
    };
  }
}

export const MODEL_API_KEY = 'sk-model-server-secret-4711';
export const MLFLOW_TOKEN = 'mlflow-token-secret-0815';

export interface TestHub {
  hub: Hub;
  dir: string;
  tracker: MlflowTracker;
  scripted: ScriptedProvider;
  close(): Promise<void>;
}

/** A hub with the MLflow tracker plugin (options merged over `tracking_uri`) and the test providers. */
export async function startHub(
  trackingUri: string,
  options: MlflowTrackerOptions = {},
  extra: { dir?: string; concurrency?: number; logger?: Logger } = {},
): Promise<TestHub> {
  const dir = extra.dir ?? (await mkdtemp(join(tmpdir(), 'evalhub-mlflow-it-')));
  const config = loadConfig({
    env: { TEST_MODEL_API_KEY: MODEL_API_KEY },
    cwd: dir,
    overrides: {
      data_dir: join(dir, 'data'),
      tracker: 'none',
      discover_plugins: false,
      model_servers: { vllm: { url: 'http://127.0.0.1:9/v1', api_key_env: 'TEST_MODEL_API_KEY' } },
      evaluation: { max_concurrent_evaluations: extra.concurrency ?? 4, benchmark_concurrency: 2 },
      collections: [
        {
          id: 'healthcare-certification',
          name: 'Healthcare certification',
          description: 'Benchmarks required for the healthcare certification.',
          benchmarks: [
            { benchmark_id: 'arc_easy', provider_id: 'lm_evaluation_harness', config: { num_fewshot: 0 } },
            {
              benchmark_id: 'faithfulness',
              provider_id: 'ragas',
              config: { dataset_path: './data/test.jsonl' },
            },
          ],
        },
      ],
    },
  });
  const scripted = new ScriptedProvider('scripted');
  const hub = await createHub({
    config,
    logger: extra.logger ?? silentLogger(),
    plugins: [
      {
        plugin: mlflowTrackerPlugin as never,
        options: {
          tracking_uri: trackingUri,
          http_retry_base_delay_ms: 50,
          http_retry_max_delay_ms: 500,
          ...options,
        },
      },
    ],
    providers: [
      new SpecBenchmarksProvider('lm_evaluation_harness', 'arc_easy'),
      new SpecBenchmarksProvider('ragas', 'faithfulness'),
      scripted,
    ],
    settings: { trackingBaseDelayMs: 100, trackingMaxDelayMs: 1_000 },
  });
  return {
    hub,
    dir,
    tracker: hub.tracker as MlflowTracker,
    scripted,
    async close() {
      await hub.close();
      if (!extra.dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Waits (polling the hub's own state) until the evaluation's tracking reaches one of `states`. */
export async function trackingSettled(
  hub: Hub,
  id: string,
  states: string[] = ['synced', 'failed'],
  timeoutMs = 120_000,
): Promise<Evaluation> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const e = await hub.service.get(id);
    if (states.includes(e.tracking.state)) return e;
    if (Date.now() > deadline) {
      throw new Error(
        `tracking of ${id} stayed '${e.tracking.state}' (last error: ${e.tracking.last_error ?? 'none'})`,
      );
    }
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

/** Submits, waits for the evaluation and for its tracking to be synced. */
export async function evaluateAndSync(hub: Hub, request: unknown): Promise<Evaluation> {
  const done = await hub.evaluate(request);
  const e = await trackingSettled(hub, done.id);
  if (e.tracking.state !== 'synced')
    throw new Error(`tracking ${e.tracking.state}: ${e.tracking.last_error}`);
  return e;
}

export function tagsOf(list: { key: string; value: string }[]): Record<string, string> {
  return Object.fromEntries(list.map((t) => [t.key, t.value]));
}

/** All runs of an experiment (any lifecycle stage excluded but active). */
export async function runsOf(client: MlflowClient, experimentId: string): Promise<Run[]> {
  const out: Run[] = [];
  let pageToken: string | undefined;
  do {
    const page = await client.searchRuns({
      experimentIds: [experimentId],
      maxResults: 1000,
      ...(pageToken ? { pageToken } : {}),
    });
    out.push(...page.items);
    pageToken = page.next_page_token;
  } while (pageToken);
  return out;
}

/** Every value an evaluation's results say should be a metric in MLflow, as core names them. */
export function expectedMetrics(e: Evaluation): Record<string, number> {
  const m: Record<string, number> = {};
  for (const b of e.benchmarks) {
    for (const [k, v] of Object.entries(b.results?.metrics ?? {})) m[`${b.benchmark_id}.${k}`] = Number(v);
    if (b.results?.samples !== undefined) m[`${b.benchmark_id}.samples`] = b.results.samples;
  }
  m['evaluation.benchmarks_completed'] = e.benchmarks.filter((b) => b.status === 'completed').length;
  m['evaluation.benchmarks_failed'] = e.benchmarks.filter((b) => b.status === 'failed').length;
  return m;
}

// The spec's payload examples (one source, shared with the demo).
export { COLLECTION, MULTI_PROVIDER, SINGLE_BENCHMARK } from '@evalhub/tools';
