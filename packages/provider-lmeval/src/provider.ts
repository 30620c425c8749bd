import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { BenchmarkFailedError, compileSchema, describeError, toErrorDetails } from '@evalhub/core';
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
import { buildLocalTaskConfig, localTaskName, resolveDatasetPath, scanTaskNames } from './local-data.js';
import { benchmarkConfigSchema, type LmEvalProviderOptions } from './options.js';
import { preflight } from './preflight.js';
import { parseProgressLine } from './progress.js';
import { findNewestResultsFile, findSamplesFiles, parseResults, type LmEvalResultsFile } from './results.js';
import { closeMatches } from './suggest.js';

export const LMEVAL_PROVIDER_ID = 'lm_evaluation_harness';

export interface LmEvalProviderInit extends LmEvalProviderOptions {
  /** Folder relative option paths resolve from (the hub's config folder). Default: the process cwd. */
  base_dir?: string;
  logger?: Logger;
  /** The hub's environment, read for the Hugging Face variables. Default: `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Benchmark `config` after checking. */
interface BenchmarkSettings {
  num_fewshot?: number;
  limit?: number;
  dataset_path?: string;
  dataset_revision?: string;
  batch_size?: number;
  seed?: number;
  chat?: boolean;
  system_instruction?: string;
  gen_kwargs?: Record<string, string | number | boolean>;
}

const LOG_TAIL_LINES = 30;

/** Runs lm-evaluation-harness against the model's OpenAI-compatible server. */
export class LmEvalProvider implements EvaluationProvider {
  readonly id = LMEVAL_PROVIDER_ID;
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
    const backend = this.options.tokenizer_backend ?? 'remote';

    const hubDataset = entry !== undefined && datasetFile === undefined;
    const hf = this.huggingFace();
    if (hubDataset) {
      ctx.log(
        `Hugging Face datasets: ${hf.offline ? 'offline (cache only)' : `online (${hf.endpoint})`}, cache ${hf.datasetsCache}` +
          `${hf.token ? `, token from the ${hf.token}` : ''}${settings.dataset_revision ? `, revision ${settings.dataset_revision}` : ''}`,
      );
    }

    ctx.progress({ fraction: 0, message: 'Checking the model server' });
    const checked =
      this.options.preflight === false
        ? {
            modelType: settings.chat ? ('local-chat-completions' as const) : ('local-completions' as const),
            notes: [],
          }
        : await preflight({
            baseUrl: task.model.url,
            model: task.model.name,
            needsLoglikelihood,
            chat: settings.chat ?? false,
            tokenizerBackend: backend,
            apiKey,
            signal: ctx.signal,
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

    const outputPath = join(ctx.workDir, 'out');
    await mkdir(outputPath, { recursive: true });
    const built = buildLmEvalCommand({
      launcher: this.launcher,
      modelType: checked.modelType,
      baseUrl: task.model.url,
      modelName: task.model.name,
      tasks: [lmTask],
      outputPath,
      includePaths: includePath ? [includePath] : [],
      numFewshot: settings.num_fewshot,
      limit: settings.limit ?? this.options.default_limit,
      batchSize: settings.batch_size ?? this.options.batch_size,
      concurrency: this.options.concurrency ?? 4,
      maxRetries: this.options.max_retries ?? 3,
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

  private check(task: BenchmarkTask): {
    issues: ValidationIssue[];
    settings: BenchmarkSettings;
    entry?: LmEvalCatalogEntry;
    datasetFile?: string;
  } {
    const issues: ValidationIssue[] = [];
    const id = task.benchmark.benchmark_id;
    const entry = this.catalog.get(id);
    const custom = !entry && this.customTasks.includes(id);
    if (!entry && !custom) {
      const known = [...this.catalog.keys(), ...this.customTasks];
      const close = closeMatches(id, known);
      issues.push({
        pointer: '',
        message:
          `Unknown lm-eval task '${id}'.` +
          (close.length > 0
            ? ` Did you mean ${close.map((c) => `'${c}'`).join(', ')}?`
            : ` Known tasks: ${known.join(', ')}.`),
      });
    }

    const config = task.benchmark.config ?? {};
    const schemaIssues = checkConfig(config);
    issues.push(...schemaIssues);
    // fields the schema flagged are left out, so the checks below see only well-typed values
    const flagged = new Set(schemaIssues.map((i) => i.pointer.split('/')[1]));
    const settings = Object.fromEntries(
      Object.entries(config).filter(([key]) => !flagged.has(key)),
    ) as BenchmarkSettings;
    // the one rule JSON Schema cannot say plainly: a limit of 1 or more counts documents
    if (typeof settings.limit === 'number' && settings.limit >= 1 && !Number.isInteger(settings.limit)) {
      issues.push({
        pointer: '/limit',
        message: 'limit must be a whole number of documents, or a fraction below 1.',
      });
    }

    const defaultData = this.options.task_data?.[id];
    if (settings.dataset_path === undefined && defaultData !== undefined && !custom)
      settings.dataset_path = defaultData;
    let datasetFile: string | undefined;
    if (settings.dataset_path !== undefined) {
      if (custom) {
        issues.push({
          pointer: '/dataset_path',
          message: `Custom task '${id}' reads its own data; dataset_path applies to catalog tasks.`,
        });
      } else if (entry && !entry.local_template) {
        issues.push({
          pointer: '/dataset_path',
          message: `Task '${id}' needs lm-eval's Python preprocessing and cannot run over a local JSONL file; write a custom task YAML instead.`,
        });
      } else {
        const resolved = resolveDatasetPath(this.dataRoot, settings.dataset_path);
        if (resolved.ok) datasetFile = resolved.path;
        else issues.push({ pointer: '/dataset_path', message: resolved.message });
      }
    }
    if (settings.dataset_revision !== undefined) {
      const problem = custom
        ? `Custom task '${id}' names its own data; dataset_revision applies to catalog tasks.`
        : settings.dataset_path !== undefined
          ? 'dataset_revision pins a hub dataset; it cannot be combined with dataset_path (a local file).'
          : entry?.subtasks !== undefined
            ? `'${id}' is a group of ${entry.subtasks} tasks; dataset_revision applies to single tasks.`
            : this.python() === undefined
              ? "dataset_revision needs the provider's `python` option when lm_eval_command is set."
              : undefined;
      if (problem) issues.push({ pointer: '/dataset_revision', message: problem });
    }
    if (settings.chat === true && entry?.needs_loglikelihood) {
      issues.push({
        pointer: '/chat',
        message: `Task '${id}' (${entry.output_type}) scores loglikelihoods, which chat endpoints cannot provide.`,
      });
    }
    return { issues, settings, entry, datasetFile };
  }
}

let configValidator: ReturnType<typeof compileSchema> | undefined;

/** Checks a benchmark's `config` against the schema the catalog publishes (the only statement of it). */
export function checkConfig(config: Record<string, unknown>): ValidationIssue[] {
  configValidator ??= compileSchema(benchmarkConfigSchema);
  if (configValidator(config)) return [];
  return toErrorDetails(configValidator.errors).map((d) => ({ pointer: d.pointer, message: d.message }));
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

/** The last exception line of a Python traceback (e.g. `RuntimeError: …`), if any. */
export function pythonError(log: string): string | undefined {
  const lines = log.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim() ?? '';
    if (/^([A-Za-z_][\w.]*)?(Error|Exception|Interrupt|Exit)\b[^:]*:/.test(line)) return line.slice(0, 500);
  }
  return undefined;
}

/** The last lines of the benchmark log (progress bars left out), for failure messages. */
async function logTail(logFile: string): Promise<string> {
  try {
    const handle = await open(logFile, 'r');
    try {
      const { size } = await handle.stat();
      const length = Math.min(size, 16_384);
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, size - length);
      const lines = buffer
        .toString('utf8')
        .split(/\r\n|\n|\r/)
        .filter((l) => l.trim().length > 0 && !/\d+%\|/.test(l));
      return lines.slice(-LOG_TAIL_LINES).join('\n');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}
