import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { BenchmarkFailedError, describeError } from '@evalhub/core';
import type {
  BenchmarkDescriptor,
  BenchmarkOutcome,
  BenchmarkTask,
  EvaluationProvider,
  Logger,
  ProviderDescriptor,
  RunContext,
  ValidationIssue,
} from '@evalhub/core';
import { LMEVAL_CATALOG, LMEVAL_VERSION } from './catalog.generated.js';
import type { LmEvalCatalogEntry } from './catalog-types.js';
import { buildLmEvalCommand, genKwargsFromConfiguration } from './command.js';
import { huggingFaceEnv, type HfEnvironment } from './hf-env.js';
import {
  looksLikeMissingDataset,
  missingDatasetMessage,
  revisionTaskConfig,
  revisionTaskName,
} from './hub-dataset.js';
import { checkTask, type CheckedTask } from './check-task.js';
import { buildLocalTaskConfig, localTaskName, scanTaskNames } from './local-data.js';
import { logTail, pythonError } from './log-tail.js';
import { benchmarkConfigSchema, gatewayBatchSize, type LmEvalProviderOptions } from './options.js';
import { preflight } from './preflight.js';
import { parseProgressLine } from './progress.js';
import { findNewestResultsFile, findSamplesFiles, parseResults, type LmEvalResultsFile } from './results.js';

export const LMEVAL_PROVIDER_ID = 'lm_evaluation_harness';

export interface LmEvalProviderInit extends LmEvalProviderOptions {
  /** Folder relative option paths resolve from (the hub's config folder). Default: the process cwd. */
  base_dir?: string;
  logger?: Logger;
  /** The hub's environment, read for the Hugging Face variables. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Runs lm-evaluation-harness against the model's OpenAI-compatible server. */
export class LmEvalProvider implements EvaluationProvider {
  readonly id = LMEVAL_PROVIDER_ID;
  /** lm-eval's requests go to the hub's model gateway when it routes the benchmark (ctx.gateway). */
  readonly usesModelGateway = true;
  private readonly options: LmEvalProviderInit;
  private readonly launcher: string[];
  private readonly catalog = new Map<string, LmEvalCatalogEntry>(LMEVAL_CATALOG.map((e) => [e.id, e]));
  private readonly customTasks: string[];
  private readonly tasksDir?: string;
  private readonly dataRoot?: string;
  private readonly hfHome?: string;
  private readonly hfTokenFile?: string;
  /** lm-eval's `tasks/` folder, found once when a revision is first pinned. */
  private tasksRoot?: Promise<string>;

  constructor(options: LmEvalProviderInit = {}) {
    this.options = options;
    const baseDir = options.base_dir ?? process.cwd();
    const fromBase = (p: string): string => (isAbsolute(p) ? p : resolve(baseDir, p));
    if (options.lm_eval_command !== undefined) {
      this.launcher = Array.isArray(options.lm_eval_command)
        ? [...options.lm_eval_command]
        : [options.lm_eval_command];
    } else {
      this.launcher = [options.python ?? 'python3', '-m', 'lm_eval'];
    }
    this.dataRoot = options.data_root ? fromBase(options.data_root) : undefined;
    this.tasksDir = options.tasks_dir ? fromBase(options.tasks_dir) : undefined;
    this.hfHome = options.hf_home ? fromBase(options.hf_home) : undefined;
    this.hfTokenFile = options.hf_token_file ? fromBase(options.hf_token_file) : undefined;
    this.customTasks = this.tasksDir
      ? readCustomTasks(this.tasksDir).filter((t) => !this.catalog.has(t))
      : [];
  }

  describe(): ProviderDescriptor {
    const benchmarks: BenchmarkDescriptor[] = LMEVAL_CATALOG.map((e) => ({
      id: e.id,
      name: e.name,
      description: e.description,
      category: e.category,
      metrics: [...e.metrics],
      ...(e.primary_metric ? { primary_metric: e.primary_metric } : {}),
      output_type: e.output_type,
      config_schema: benchmarkConfigSchema,
    }));
    for (const id of this.customTasks) {
      benchmarks.push({
        id,
        name: id,
        description: `Custom lm-eval task from ${this.tasksDir}.`,
        category: 'custom',
        metrics: [],
        config_schema: benchmarkConfigSchema,
      });
    }
    return {
      id: LMEVAL_PROVIDER_ID,
      name: 'lm-evaluation-harness',
      description: 'EleutherAI lm-evaluation-harness against an OpenAI-compatible model server (vLLM).',
      version: LMEVAL_VERSION,
      benchmarks,
    };
  }

  validate(task: BenchmarkTask): ValidationIssue[] {
    return this.check(task).issues;
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    const command = this.launcher[0] ?? '';
    if (isAbsolute(command) && !existsSync(command))
      return { ok: false, detail: `${command} does not exist` };
    return { ok: true, detail: `lm-eval ${LMEVAL_VERSION} via ${basename(command)}` };
  }

  async run(task: BenchmarkTask, ctx: RunContext): Promise<BenchmarkOutcome> {
    const { issues, settings, entry, datasetFile } = this.check(task);
    if (issues.length > 0) {
      throw new BenchmarkFailedError(issues.map((i) => `${i.pointer || '/'}: ${i.message}`).join('; '), {
        code: 'benchmark_invalid',
      });
    }
    const benchmarkId = task.benchmark.benchmark_id;
    const needsLoglikelihood = entry?.needs_loglikelihood ?? false;
    const apiKey = task.modelApiKey && task.modelApiKey.length > 0 ? task.modelApiKey : undefined;
    // through the hub's gateway (it adds the key, limits and retries) when it routes this benchmark
    const baseUrl = ctx.gateway?.baseUrl ?? task.model.url;
    const backend = this.options.tokenizer_backend ?? 'remote';

    const hubDataset = entry !== undefined && datasetFile === undefined;
    const hf = this.huggingFace();
    if (hubDataset) {
      ctx.log(
        `Hugging Face datasets: ${hf.offline ? 'offline (cache only)' : `online (${hf.endpoint})`}, cache ${hf.datasetsCache}` +
          `${hf.token ? `, token from the ${hf.token}` : ''}${settings.dataset_revision ? `, revision ${settings.dataset_revision}` : ''}`,
      );
    }

    // through the gateway, prompts go in batches unless the request or the operator set a size:
    // the server runs a batch's sequences in parallel and lm-eval's client sends 1/n the requests
    const defaultBatch = ctx.gateway ? gatewayBatchSize(ctx.gateway.concurrency) : 1;
    const batchByDefault =
      defaultBatch > 1 &&
      settings.batch_size === undefined &&
      this.options.batch_size === undefined &&
      !(settings.chat ?? false);
    ctx.progress({ fraction: 0, message: 'Checking the model server' });
    const checked =
      this.options.preflight === false
        ? {
            modelType: settings.chat ? ('local-chat-completions' as const) : ('local-completions' as const),
            notes: [],
          }
        : await preflight({
            baseUrl,
            model: task.model.name,
            needsLoglikelihood,
            chat: settings.chat ?? false,
            tokenizerBackend: backend,
            apiKey,
            signal: ctx.signal,
            probeBatch: batchByDefault,
            ...(this.options.preflight_retry_seconds !== undefined
              ? { retryBudgetMs: this.options.preflight_retry_seconds * 1000 }
              : {}),
          });
    for (const note of checked.notes) ctx.log(note);

    // tasks to run and where lm-eval finds them
    let lmTask = benchmarkId;
    let includePath: string | undefined;
    if (datasetFile && entry) {
      includePath = join(ctx.workDir, 'tasks');
      await mkdir(includePath, { recursive: true });
      lmTask = localTaskName(benchmarkId);
      const config = buildLocalTaskConfig(entry, datasetFile, { numFewshot: settings.num_fewshot });
      await writeFile(join(includePath, `${lmTask}.yaml`), `${JSON.stringify(config, null, 2)}\n`);
    } else if (entry && settings.dataset_revision) {
      includePath = join(ctx.workDir, 'tasks');
      await mkdir(includePath, { recursive: true });
      lmTask = revisionTaskName(benchmarkId);
      const config = revisionTaskConfig(entry, await this.lmEvalTasksRoot(ctx), settings.dataset_revision);
      await writeFile(join(includePath, `${lmTask}.yaml`), `${JSON.stringify(config, null, 2)}\n`);
    } else if (!entry && this.tasksDir) {
      includePath = this.tasksDir;
    }

    const configuration = (task.model.configuration ?? {}) as Record<string, unknown>;
    const { genKwargs, ignored } = genKwargsFromConfiguration(configuration);
    if (ignored.length > 0) ctx.log(`model.configuration keys not passed to lm-eval: ${ignored.join(', ')}`);
    Object.assign(genKwargs, settings.gen_kwargs ?? {});

    const batchSize =
      checked.modelType === 'local-chat-completions'
        ? 1
        : (settings.batch_size ??
          this.options.batch_size ??
          ('batchPrompts' in checked && checked.batchPrompts ? defaultBatch : 1));
    const outputPath = join(ctx.workDir, 'out');
    await mkdir(outputPath, { recursive: true });
    const built = buildLmEvalCommand({
      launcher: this.launcher,
      modelType: checked.modelType,
      baseUrl,
      modelName: task.model.name,
      tasks: [lmTask],
      outputPath,
      includePaths: includePath ? [includePath] : [],
      numFewshot: settings.num_fewshot,
      limit: settings.limit ?? this.options.default_limit,
      batchSize,
      // the gateway, not lm-eval, limits the requests in flight and retries them
      concurrency: this.options.concurrency ?? ctx.gateway?.concurrency ?? 4,
      maxRetries: this.options.max_retries ?? (ctx.gateway ? 1 : 3),
      tokenizerBackend: backend,
      tokenizer: this.options.tokenizer,
      maxLength: 'maxModelLen' in checked ? checked.maxModelLen : undefined,
      requestTimeoutSeconds: this.options.request_timeout_seconds,
      seed: settings.seed,
      systemInstruction: settings.system_instruction,
      genKwargs,
      apiKey,
      hfEnv: hf.env,
    });

    ctx.log(
      `Running lm-eval ${checked.modelType} on task ${lmTask}${datasetFile ? ` over ${settings.dataset_path}` : ''}`,
    );
    ctx.logger.debug({ command: built.command, args: built.args }, 'lm-eval command');
    ctx.progress({ fraction: 0, message: 'Starting lm-eval' });
    const started = Date.now();
    const result = await ctx.exec({
      command: built.command,
      args: built.args,
      cwd: ctx.workDir,
      env: built.env,
      onLine: (line) => {
        const progress = parseProgressLine(line);
        if (progress) ctx.progress(progress);
      },
    });

    if (result.aborted || ctx.signal.aborted) {
      const reason = ctx.signal.reason;
      throw new BenchmarkFailedError(
        `lm-eval was stopped after ${Math.round(result.durationMs / 1000)} s (${reason instanceof Error ? reason.message : 'cancelled or timed out'}).`,
        { code: 'benchmark_aborted', cause: reason },
      );
    }

    const resultsFile = await findNewestResultsFile(outputPath, started - 1000);
    if (!resultsFile) {
      const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
      const tail = await logTail(ctx.logFile);
      const cause = pythonError(tail);
      if (hubDataset && entry && looksLikeMissingDataset(tail)) {
        throw new BenchmarkFailedError(missingDatasetMessage(entry, hf, cause, settings.dataset_revision), {
          code: 'dataset_unavailable',
        });
      }
      throw new BenchmarkFailedError(
        `lm-eval ${how} without writing a results file${cause ? `: ${cause}` : '.'}${tail ? `\nLast lines of the log:\n${tail}` : ''}`,
        { code: 'lmeval_failed' },
      );
    }
    if (result.exitCode !== 0) {
      // lm-eval saves results before printing its summary table; a failure after that point keeps the results
      ctx.log(
        `lm-eval exited with code ${result.exitCode} after writing ${basename(resultsFile)}; using those results.`,
      );
    }

    let file: LmEvalResultsFile;
    let parsed;
    try {
      file = JSON.parse(await readFile(resultsFile, 'utf8')) as LmEvalResultsFile;
      parsed = parseResults(file, lmTask);
    } catch (err) {
      const tail = await logTail(ctx.logFile);
      throw new BenchmarkFailedError(
        `Cannot read lm-eval's results: ${describeError(err)}${tail ? `\nLast lines of the log:\n${tail}` : ''}`,
        {
          code: 'lmeval_results_invalid',
          cause: err,
        },
      );
    }

    await ctx.artifact({ name: 'results.json', path: resultsFile, contentType: 'application/json' });
    const samples = await findSamplesFiles(outputPath, parsed.leafTasks);
    for (const [leaf, path] of samples) {
      const name = parsed.leafTasks.length === 1 ? 'samples.jsonl' : `samples/${leaf}.jsonl`;
      await ctx.artifact({ name, path, contentType: 'application/x-ndjson' });
    }
    // the process log is ctx.logFile, which core attaches once as `<benchmark>/execution.log`

    const entryPrimary = entry?.primary_metric ?? undefined;
    const primaryMetric =
      entryPrimary && entryPrimary in parsed.metrics
        ? entryPrimary
        : Object.keys(parsed.metrics).find((m) => !m.includes('_stderr'));
    const params: Record<string, string | number | boolean> = {
      ...parsed.params,
      model_type: checked.modelType,
      tokenizer_backend: checked.modelType === 'local-chat-completions' ? 'none' : backend,
      batch_size: batchSize,
    };
    if (datasetFile) params.dataset_path = settings.dataset_path ?? '';
    if (hubDataset && settings.dataset_revision) params.dataset_revision = settings.dataset_revision;
    if (result.exitCode !== 0) params.lm_eval_exit_code = result.exitCode ?? -1;
    ctx.progress({ fraction: 1, message: 'Done' });
    return {
      metrics: parsed.metrics,
      ...(primaryMetric ? { primaryMetric } : {}),
      ...(parsed.samples !== undefined ? { samples: parsed.samples } : {}),
      params,
    };
  }

  private huggingFace(): HfEnvironment {
    try {
      return huggingFaceEnv(
        {
          ...(this.options.offline !== undefined ? { offline: this.options.offline } : {}),
          ...(this.hfHome ? { hfHome: this.hfHome } : {}),
          ...(this.hfTokenFile ? { tokenFile: this.hfTokenFile } : {}),
        },
        this.options.env ?? process.env,
      );
    } catch (err) {
      throw new BenchmarkFailedError(describeError(err), { code: 'hf_token_unreadable' });
    }
  }

  /** The Python interpreter lm-eval runs under, when known. */
  private python(): string | undefined {
    if (this.options.lm_eval_command === undefined) return this.launcher[0];
    return this.options.python;
  }

  /** lm-eval's own `tasks/` folder in the interpreter that runs it (asked once, through the Runtime). */
  private lmEvalTasksRoot(ctx: RunContext): Promise<string> {
    this.tasksRoot ??= (async () => {
      const lines: string[] = [];
      const result = await ctx.exec({
        command: this.python() ?? 'python3',
        args: [
          '-c',
          "import importlib.util as u, os; print('EVALHUB_TASKS=' + os.path.join(u.find_spec('lm_eval').submodule_search_locations[0], 'tasks'))",
        ],
        cwd: ctx.workDir,
        env: { PYTHONIOENCODING: 'utf-8' },
        onLine: (line) => lines.push(line),
      });
      const found = lines.find((l) => l.startsWith('EVALHUB_TASKS='))?.slice('EVALHUB_TASKS='.length);
      if (result.exitCode !== 0 || !found)
        throw new BenchmarkFailedError(
          `Cannot find lm-eval's task folder with ${this.python() ?? 'python3'}.`,
          {
            code: 'lmeval_failed',
          },
        );
      return found.trim();
    })();
    this.tasksRoot.catch(() => {
      this.tasksRoot = undefined;
    });
    return this.tasksRoot;
  }

  private check(task: BenchmarkTask): CheckedTask {
    return checkTask(task, {
      catalog: this.catalog,
      customTasks: this.customTasks,
      ...(this.options.task_data ? { taskData: this.options.task_data } : {}),
      ...(this.dataRoot ? { dataRoot: this.dataRoot } : {}),
      knowsPython: this.python() !== undefined,
    });
  }
}

function readCustomTasks(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /\.ya?ml$/i.test(n));
  } catch {
    return [];
  }
  return scanTaskNames(names.map((n) => readFileSync(join(dir, n), 'utf8')));
}
