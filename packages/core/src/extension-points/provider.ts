import type { Logger } from '../logging.js';
import type { Benchmark, BenchmarkSpec, ExperimentConfig, Progress, ResolvedModel } from '../types.js';
import type { ExecRequest, ExecResult } from './runtime.js';

/** A benchmark as a provider describes it (the catalog entry; `provider_id` is filled in by core). */
export type BenchmarkDescriptor = Omit<Benchmark, 'provider_id'>;

export interface ProviderDescriptor {
  /** `provider_id` in requests, e.g. `lm_evaluation_harness`. */
  id: string;
  name: string;
  description?: string;
  version?: string;
  benchmarks: BenchmarkDescriptor[];
}

/** A field-level problem found by a provider before anything runs (becomes an HTTP 400). */
export interface ValidationIssue {
  /** JSON pointer relative to the benchmark's `config`, e.g. `/dataset_path`. */
  pointer: string;
  message: string;
}

/** One benchmark of one evaluation, as handed to its provider. */
export interface BenchmarkTask {
  evaluationId: string;
  /** Index of this benchmark within the evaluation. */
  index: number;
  benchmark: Required<Pick<BenchmarkSpec, 'benchmark_id' | 'provider_id'>> & {
    config: Record<string, unknown>;
  };
  model: ResolvedModel;
  experiment?: ExperimentConfig;
  /**
   * API key of the model server, when configured and the benchmark is not routed through the model
   * gateway: pass it via env to child processes, never log or store it.
   */
  modelApiKey?: string;
  /** Per-benchmark timeout in milliseconds (also enforced by core through the signal). */
  timeoutMs: number;
}

export interface ArtifactSpec {
  /** Path of the artifact inside the evaluation's artifact tree, e.g. `arc_easy/results.json`. */
  name: string;
  /** An existing local file to copy… */
  path?: string;
  /** …or the content itself. */
  content?: string | Uint8Array;
  /** MIME type, e.g. `application/json` (listed on the evaluation as `content_type`). */
  contentType?: string;
}

/** What a provider gets to run one benchmark. Everything it needs goes through here. */
export interface RunContext {
  /** Aborted on cancellation or timeout; pass it on (core's runtime kills the process group). */
  readonly signal: AbortSignal;
  /** A fresh, private directory for this benchmark run (created when first read). */
  readonly workDir: string;
  /** Path of this benchmark's execution log file (the runtime appends process output here). */
  readonly logFile: string;
  readonly logger: Logger;
  progress(progress: Progress): void;
  log(line: string): void;
  /** Attach a file to the benchmark: stored with the evaluation and sent to the tracker. */
  artifact(artifact: ArtifactSpec): Promise<void>;
  /**
   * Present when the hub routes this benchmark's model requests through its model gateway
   * (docs/model-gateway.md): give the engine `baseUrl` as its OpenAI base URL instead of
   * `task.model.url`, pass it no API key (the gateway adds the key for its own server only), and let
   * it send up to `concurrency` requests at once — the gateway, not the engine, limits them.
   */
  readonly gateway?: { readonly baseUrl: string; readonly concurrency: number };
  /** Run a command through the configured Runtime (providers never spawn directly). */
  exec(
    request: Omit<ExecRequest, 'signal' | 'logFile'> & Partial<Pick<ExecRequest, 'logFile'>>,
  ): Promise<ExecResult>;
}

export interface BenchmarkOutcome {
  /** Metric name (without the benchmark prefix) → value, exactly as the engine computed it. */
  metrics: Record<string, number>;
  primaryMetric?: string;
  samples?: number;
  /** Settings the engine reports (task version, n-shot…), tracked as `{benchmark_id}.{key}` params. */
  params?: Record<string, string | number | boolean>;
}

export interface EvaluationProvider {
  describe(): ProviderDescriptor;
  /**
   * True when run() sends its engine's model requests to `ctx.gateway.baseUrl` whenever it is given
   * (docs/model-gateway.md). The hub then routes this provider's benchmarks through its model
   * gateway and hands it no `task.modelApiKey`; a provider without it gets the model URL and key as
   * before.
   */
  readonly usesModelGateway?: boolean;
  /**
   * Request-time checks (dataset exists, columns present, benchmark known…): return issues and the
   * request is rejected with a 400 before anything is stored or run. Must be fast and side-effect free.
   */
  validate?(task: BenchmarkTask): ValidationIssue[] | Promise<ValidationIssue[]>;
  /** Runs one benchmark. Throw (ideally a BenchmarkFailedError with a useful message) to fail it. */
  run(task: BenchmarkTask, ctx: RunContext): Promise<BenchmarkOutcome>;
  /** Optional readiness probe (e.g. Python tools importable), shown on the health endpoint. */
  health?(): Promise<{ ok: boolean; detail?: string }>;
}
