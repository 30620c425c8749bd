import 'reflect-metadata';

export {
  EvalHubError,
  ValidationError,
  NotFoundError,
  ConflictError,
  QueueFullError,
  ConfigError,
  PluginError,
  UpstreamError,
  BenchmarkFailedError,
  LeaseLostError,
  StoreUnavailableError,
  isEvalHubError,
  describeError,
} from './errors.js';
export type { ErrorDetail, EvalHubErrorOptions } from './errors.js';

export type * from './types.js';
/** The HTTP contract's operations, generated from the OpenAPI document (typed clients build on them). */
export type { paths as ApiPaths, operations as ApiOperations } from './generated/openapi.js';
export {
  aggregateStatus,
  EVALUATION_STATUSES,
  isTerminalBenchmark,
  isTerminalEvaluation,
  TERMINAL_BENCHMARK_STATUSES,
  TERMINAL_EVALUATION_STATUSES,
} from './types.js';
export { compareEvaluations, DEFAULT_TOLERANCE } from './comparison.js';

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
export type {
  ExecAbortReason,
  ExecLabels,
  ExecRequest,
  ExecResources,
  ExecResult,
  Runtime,
} from './extension-points/runtime.js';
export { TrackerToken, PermanentTrackingError, isTerminalForTracking } from './extension-points/tracker.js';
export type {
  TrackedArtifact,
  Tracker,
  TrackerRun,
  TrackerRunInfo,
  TrackingBatch,
} from './extension-points/tracker.js';
export { StoreToken } from './extension-points/store.js';
export type {
  ClaimOptions,
  EvaluationLease,
  EvaluationLeases,
  EvaluationPage,
  EvaluationQuery,
  EvaluationStore,
  ReplicaEvent,
  ReplicaEvents,
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
  PluginSettings,
} from './plugins/define-plugin.js';

export { createLogger, silentLogger, REDACTED_PATHS } from './logging.js';
export type { Logger, LoggerOptions } from './logging.js';

export { LocalRuntime } from './runtime/local-runtime.js';
export type { LocalRuntimeOptions } from './runtime/local-runtime.js';

export { createRunContext } from './service/run-context.js';
export type { ManagedRunContext, RunContextOptions } from './service/run-context.js';

export { createHub } from './hub.js';
export type { CreateHubOptions, Hub, LoadedPlugin, PluginInput } from './hub.js';
export {
  loadConfig,
  pluginOptionsFor,
  CONFIG_FILE_NAMES,
  PLUGIN_ALIASES,
  DEFAULT_TRACKER,
} from './config/config.js';
export { resolvePluginOptions, envValue } from './plugins/plugin-options.js';
export type { PluginOptionSources } from './plugins/plugin-options.js';
export type { HubConfig, LoadConfigOptions, ModelServerConfig, PluginRef } from './config/config.js';
export {
  openApiDocument,
  assertValid,
  schemaValidator,
  compileSchema,
  toErrorDetails,
} from './contract/validator.js';
export { EvaluationService } from './service/evaluation-service.js';
export type { SubmitOptions } from './service/evaluation-service.js';
export { EventHub } from './service/event-hub.js';
export { ProviderRegistry, closestNames } from './service/provider-registry.js';
export { CollectionCatalog } from './service/collection-catalog.js';
export { ModelResolver } from './service/model-resolver.js';
export { ModelUrlPolicy } from './service/model-url-policy.js';
export { redactUrl, redactUrls } from './redaction.js';
export type { ModelResolution } from './service/model-resolver.js';
export { TrackingOutbox } from './service/tracking-outbox.js';
export { ARTIFACTS_NOT_STORED_TAG } from './service/tracking-delivery.js';
export {
  evaluationParams,
  evaluationScores,
  evaluationSummary,
  benchmarkBatch,
  flattenSettings,
  isSecretKey,
} from './service/tracking-data.js';
export { LoggerToken, ServiceSettingsToken } from './service/tokens.js';
export type { ServiceSettings } from './service/tokens.js';
export { importPlugin, registerPlugin, discoverPluginPackages } from './plugins/loader.js';
export { MemoryStore } from './stores/memory-store.js';
export { SqliteStore } from './stores/sqlite-store.js';
export { encodeCursor, decodeCursor } from './stores/query.js';
export type { SqliteStoreOptions } from './stores/sqlite-store.js';
export { NoneTracker } from './trackers/none-tracker.js';
export { JsonlTracker } from './trackers/jsonl-tracker.js';
export type { JsonlTrackerOptions } from './trackers/jsonl-tracker.js';
export { CORE_VERSION } from './version.js';
export { ModelGateway } from './gateway/model-gateway.js';
export type {
  GatewayRoute,
  GatewayServerConfig,
  ModelGatewayOptions,
  RouteRequest,
} from './gateway/model-gateway.js';
export { PERF_METRIC_NAMES, perfMetrics } from './gateway/perf-stats.js';
export type { PerfStats } from './gateway/perf-stats.js';
export { CACHE_HEADER } from './gateway/proxy-server.js';
export { DEFAULT_ADAPTIVE_LIMIT } from './gateway/adaptive-limit.js';
export type { AdaptiveLimitOptions, LimitState } from './gateway/adaptive-limit.js';
export type { ServerLimiterState } from './gateway/server-limiter.js';
export { DEFAULT_RETRY } from './gateway/retry-policy.js';
export type { RetryOptions } from './gateway/retry-policy.js';
