import 'reflect-metadata';

export {
  EvalHubError,
  ValidationError,
  NotFoundError,
  ConflictError,
  ConfigError,
  PluginError,
  UpstreamError,
  BenchmarkFailedError,
  isEvalHubError,
  describeError,
} from './errors.js';
export type { ErrorDetail, EvalHubErrorOptions } from './errors.js';

export type * from './types.js';
export {
  aggregateStatus,
  isTerminalBenchmark,
  isTerminalEvaluation,
  TERMINAL_BENCHMARK_STATUSES,
  TERMINAL_EVALUATION_STATUSES,
} from './types.js';

export { ProvidersToken } from './extension-points/provider.js';
export type {
  ArtifactSpec,
  BenchmarkDescriptor,
  BenchmarkOutcome,
  BenchmarkTask,
  EvaluationProvider,
  ProviderDescriptor,
  RunContext,
  ValidationIssue,
} from './extension-points/provider.js';
export { RuntimeToken } from './extension-points/runtime.js';
export type { ExecRequest, ExecResult, Runtime } from './extension-points/runtime.js';
export { TrackerToken, PermanentTrackingError, isTerminalForTracking } from './extension-points/tracker.js';
export type { TrackedArtifact, Tracker, TrackerRun, TrackerRunInfo, TrackingBatch } from './extension-points/tracker.js';
export { StoreToken } from './extension-points/store.js';
export type {
  EvaluationPage,
  EvaluationQuery,
  EvaluationStore,
  StoredTrackingOp,
  TrackingOp,
} from './extension-points/store.js';

export { definePlugin, isPlugin, PLUGIN_API_VERSION, PLUGIN_BRAND } from './plugins/define-plugin.js';
export type {
  HttpHandler,
  HubInfo,
  Plugin,
  PluginContext,
  PluginDefinition,
  PluginKind,
} from './plugins/define-plugin.js';

export { createLogger, silentLogger, REDACTED_PATHS } from './logging.js';
export type { Logger, LoggerOptions } from './logging.js';

export { LocalRuntime } from './runtime/local-runtime.js';
export type { LocalRuntimeOptions } from './runtime/local-runtime.js';

export { createRunContext } from './service/run-context.js';
export type { RunContextOptions } from './service/run-context.js';
