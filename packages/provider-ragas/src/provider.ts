import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchmarkFailedError, describeError } from '@evalhub/core';
import type {
  BenchmarkOutcome,
  BenchmarkTask,
  EvaluationProvider,
  ProviderDescriptor,
  RunContext,
  ValidationIssue,
} from '@evalhub/core';
import { describeBenchmarks, metricInfo, requiredColumns } from './catalog.js';
import { openAiBaseUrl, parseBenchmarkConfig } from './config.js';
import type { JsonMode, RagasBenchmarkConfig } from './config.js';
import { CONTRACT_VERSION, parseRunnerEvent, parseRunnerResult, RunnerResultError } from './contract.js';
import type { RunnerEvent, RunnerResult, RunnerSpec } from './contract.js';
import { loadDataset } from './dataset.js';
import type { LoadedDataset } from './dataset.js';
import { PreparedCache } from './prepared-cache.js';
import { rowsToCsv, rowsToJsonl } from './results.js';

export const PROVIDER_ID = 'ragas';

/** The runner shipped in this package (the same relative place from src/ and dist/). */
export const RUNNER_PATH = fileURLToPath(new URL('../python/evalhub_ragas_runner.py', import.meta.url));

/** Environment variable that carries the judge API key to the runner (its name is in the spec). */
const JUDGE_KEY_ENV = 'EVALHUB_RAGAS_JUDGE_API_KEY';
const EMBEDDINGS_KEY_ENV = 'EVALHUB_RAGAS_EMBEDDINGS_API_KEY';

export interface RagasProviderOptions {
  /** Python interpreter with ragas 0.4.x installed. */
  python: string;
  /** Folder every `dataset_path` must stay inside. */
  dataRoot: string;
  /** Embeddings endpoint (OpenAI-compatible base URL) and model; default: the judge's. */
  embeddingsUrl?: string;
  embeddingsModel?: string;
  jsonMode?: JsonMode;
  /** Scoring calls in flight at once. */
  concurrency?: number;
  /** Per scoring call. */
  timeoutSeconds?: number;
  /** API keys for the judge/embeddings servers (passed to the runner in its environment only). */
  judgeApiKey?: string;
  embeddingsApiKey?: string;
  /** Grace period between SIGTERM and SIGKILL on cancel/timeout. */
  killGraceMs?: number;
}

const DEFAULT_CONCURRENCY = 4;
const DEFAULT_TIMEOUT_SECONDS = 180;

type Prepared = { config?: RagasBenchmarkConfig; dataset?: LoadedDataset; issues: ValidationIssue[] };

export class RagasProvider implements EvaluationProvider {
  /** The judge (the request's model) is reached through the hub's model gateway when it routes (ctx.gateway). */
  readonly usesModelGateway = true;
  /** What validate() parsed, kept for the same request's run(): each dataset is read once. */
  private readonly prepared = new PreparedCache<Required<Omit<Prepared, 'issues'>>>();
  /** Datasets read and checked so far (for tests and diagnostics). */
  datasetLoads = 0;

  constructor(private readonly options: RagasProviderOptions) {}

  describe(): ProviderDescriptor {
    return {
      id: PROVIDER_ID,
      name: 'RAGAS',
      description:
        'Retrieval-augmented generation metrics computed by RAGAS 0.4 (LLM-judged and string-based).',
      benchmarks: describeBenchmarks(),
    };
  }

  async validate(task: BenchmarkTask): Promise<ValidationIssue[]> {
    const { config, dataset, issues } = await this.prepare(task);
    if (config && dataset)
      await this.prepared.put(slotOf(task), keyOf(task), dataset.path, { config, dataset });
    return issues;
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    try {
      await access(RUNNER_PATH);
    } catch {
      return { ok: false, detail: `runner script missing: ${RUNNER_PATH}` };
    }
    return { ok: true, detail: `python: ${this.options.python}` };
  }

  private async prepare(task: BenchmarkTask): Promise<Prepared> {
    const parsed = parseBenchmarkConfig(task.benchmark.benchmark_id, task.benchmark.config ?? {});
    if (!parsed.config) return { issues: parsed.issues };
    const config = parsed.config;
    this.datasetLoads++;
    const { dataset, issues } = await loadDataset({
      dataRoot: this.options.dataRoot,
      datasetPath: config.datasetPath,
      columnMap: config.columnMap,
      ...(config.limit !== undefined ? { limit: config.limit } : {}),
      requiredColumns: requiredColumns(config.metrics),
    });
    if (!dataset) return { issues };
    return { config, dataset, issues: [] };
  }

  async run(task: BenchmarkTask, ctx: RunContext): Promise<BenchmarkOutcome> {
    const { config, dataset, issues } =
      (await this.prepared.take(slotOf(task), keyOf(task)).then((hit) => hit && { ...hit, issues: [] })) ??
      (await this.prepare(task));
    if (!config || !dataset) {
      throw new BenchmarkFailedError(
        `Invalid RAGAS benchmark: ${issues.map((i) => `${i.pointer || '/'} ${i.message}`).join('; ')}`,
        {
          code: 'ragas_invalid_input',
        },
      );
    }
    const metrics = config.metrics;
    const needsJudge = metrics.some((m) => metricInfo(m)?.judge);
    const needsEmbeddings = metrics.some((m) => metricInfo(m)?.embeddings);

    // the request's model as judge goes through the hub's gateway when it routes (it adds the key);
    // a judge of its own (config.judge.url) is reached directly with the provider's judge key
    const viaGateway = ctx.gateway !== undefined && config.judge?.url === undefined;
    const judgeUrl = openAiBaseUrl(config.judge?.url ?? ctx.gateway?.baseUrl ?? task.model.url);
    const judgeModel = config.judge?.model ?? task.model.name;
    const env: Record<string, string> = {
      RAGAS_DO_NOT_TRACK: 'true',
      HF_HUB_OFFLINE: '1',
      HF_DATASETS_OFFLINE: '1',
      TRANSFORMERS_OFFLINE: '1',
      PYTHONUNBUFFERED: '1',
      PYTHONIOENCODING: 'utf-8',
    };
    const output = join(ctx.workDir, 'ragas-results.json');
    const spec: RunnerSpec = {
      version: CONTRACT_VERSION,
      metrics,
      dataset: { path: join(ctx.workDir, 'ragas-dataset.jsonl') },
      concurrency:
        config.concurrency ??
        this.options.concurrency ??
        (viaGateway ? ctx.gateway!.concurrency : DEFAULT_CONCURRENCY),
      timeout_seconds: config.timeoutSeconds ?? this.options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
      output,
    };
    const configuration = task.model.configuration ?? {};
    if (needsJudge) {
      spec.judge = {
        base_url: judgeUrl,
        model: judgeModel,
        json_mode: config.jsonMode ?? this.options.jsonMode ?? 'json_object',
        timeout_seconds: spec.timeout_seconds!,
        max_tokens: typeof configuration.max_tokens === 'number' ? configuration.max_tokens : 4096,
        ...(typeof configuration.temperature === 'number' ? { temperature: configuration.temperature } : {}),
        ...(typeof configuration.top_p === 'number' ? { top_p: configuration.top_p } : {}),
      };
      if (this.options.judgeApiKey && !viaGateway) {
        spec.judge.api_key_env = JUDGE_KEY_ENV;
        env[JUDGE_KEY_ENV] = this.options.judgeApiKey;
      }
    }
    if (needsEmbeddings) {
      spec.embeddings = {
        base_url: openAiBaseUrl(config.embeddings?.url ?? this.options.embeddingsUrl ?? judgeUrl),
        model: config.embeddings?.model ?? this.options.embeddingsModel ?? judgeModel,
      };
      // embeddings at the judge's gateway URL get the gateway's key, no other
      const throughGateway = viaGateway && spec.embeddings.base_url === judgeUrl;
      const key = throughGateway ? undefined : (this.options.embeddingsApiKey ?? this.options.judgeApiKey);
      if (key) {
        spec.embeddings.api_key_env = EMBEDDINGS_KEY_ENV;
        env[EMBEDDINGS_KEY_ENV] = key;
      }
    }
    await writeFile(
      (spec.dataset as { path: string }).path,
      dataset.rows.map((r) => JSON.stringify(r)).join('\n') + '\n',
    );
    const specPath = join(ctx.workDir, 'ragas-spec.json');
    await writeFile(specPath, JSON.stringify(spec, null, 2));

    ctx.log(
      `ragas: ${metrics.join(', ')} on ${dataset.rows.length} row(s) of ${config.datasetPath}${needsJudge ? ` judged by ${judgeModel}` : ''}`,
    );
    let lastError: Extract<RunnerEvent, { event: 'error' }> | undefined;
    const exec = await ctx.exec({
      command: this.options.python,
      args: [RUNNER_PATH, specPath],
      cwd: ctx.workDir,
      env,
      ...(this.options.killGraceMs !== undefined ? { killGraceMs: this.options.killGraceMs } : {}),
      onLine: (line, stream) => {
        if (stream !== 'stdout') return;
        const event = parseRunnerEvent(line);
        if (!event) return;
        if (event.event === 'progress') {
          ctx.progress({
            fraction: event.total > 0 ? Math.min(1, event.completed / event.total) : 0,
            completed: event.completed,
            total: event.total,
            message: `scored ${event.completed}/${event.total}`,
          });
        } else if (event.event === 'error') lastError = event;
      },
    });

    if (exec.aborted || ctx.signal.aborted) {
      throw new BenchmarkFailedError('RAGAS run was stopped (cancelled or timed out).', {
        code: 'benchmark_aborted',
      });
    }
    if (exec.exitCode !== 0) {
      const how = exec.signal ? `was killed by ${exec.signal}` : `exited with code ${exec.exitCode}`;
      if (lastError) {
        const code =
          lastError.kind === 'metric'
            ? 'ragas_judge_failed'
            : lastError.kind === 'import'
              ? 'ragas_unavailable'
              : 'ragas_failed';
        throw new BenchmarkFailedError(
          `RAGAS ${lastError.kind === 'metric' ? 'judge failed' : 'failed'}: ${lastError.message}`,
          { code },
        );
      }
      throw new BenchmarkFailedError(
        `RAGAS runner ${how} without reporting an error; see the benchmark log.`,
        { code: 'ragas_failed' },
      );
    }

    let result: RunnerResult;
    try {
      result = parseRunnerResult(JSON.parse(await readFile(output, 'utf8')), metrics);
    } catch (err) {
      throw new BenchmarkFailedError(
        err instanceof RunnerResultError
          ? err.message
          : `RAGAS runner results unreadable: ${describeError(err)}`,
        { code: 'ragas_failed', cause: err },
      );
    }

    const outcomeMetrics: Record<string, number> = {};
    for (const m of metrics) {
      const summary = result.metrics[m]!;
      if (summary.mean === null) {
        const firstError = result.rows.find((r) => r.errors?.[m])?.errors?.[m];
        throw new BenchmarkFailedError(
          `RAGAS ${m} scored NaN on every row (${summary.nan_count})${firstError ? `; first error: ${firstError}` : ''}.`,
          { code: 'ragas_all_nan' },
        );
      }
      outcomeMetrics[m] = summary.mean;
      outcomeMetrics[`${m}_nan_count`] = summary.nan_count;
    }

    await ctx.artifact({
      name: 'scores.jsonl',
      content: rowsToJsonl(dataset.rows, result, metrics),
      contentType: 'application/x-ndjson',
    });
    await ctx.artifact({
      name: 'scores.csv',
      content: rowsToCsv(dataset.rows, result, metrics),
      contentType: 'text/csv',
    });

    return {
      metrics: outcomeMetrics,
      primaryMetric: metrics[0]!,
      samples: result.samples,
      params: {
        ragas_version: result.ragas_version,
        dataset_path: config.datasetPath,
        dataset_rows: dataset.totalRows,
        ...(config.limit !== undefined ? { limit: config.limit } : {}),
        ...(needsJudge ? { judge_model: judgeModel, json_mode: spec.judge!.json_mode } : {}),
        ...(needsEmbeddings ? { embeddings_model: spec.embeddings!.model } : {}),
      },
    };
  }
}

/** The request slot a benchmark task occupies (one evaluation, one position). */
function slotOf(task: BenchmarkTask): string {
  return `${task.evaluationId}\u0000${task.index}`;
}

/** What the prepared result depends on: the benchmark and its config. */
function keyOf(task: BenchmarkTask): string {
  return JSON.stringify([task.benchmark.benchmark_id, task.benchmark.config ?? {}]);
}
