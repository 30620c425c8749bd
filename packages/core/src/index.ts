/**
 * The public API of @evalhub/core: what plugins, the server, tools and library users import. Core's
 * internal units (the service's scheduler, runners, outbox, event hub, model resolution) are not
 * exported; reach them through `createHub` and the `Hub` it returns. Test helpers for plugin
 * authors: `@evalhub/core/testing`.
 */
import 'reflect-metadata';

// ---- Errors: stable codes (docs/errors.md)
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
  hasErrorCode,
  describeError,
} from './errors.js';
export type { NotFoundSubject } from './errors.js';
export { defineErrorCodes, registerErrorCodes, registeredErrorCodes, statusForCode } from './error-codes.js';
export type {
  CodeWhere,
  CodeWithStatus,
  ErrorCode,
  ErrorCodeKind,
  ErrorCodeRegistry,
  ErrorCodeSpec,
  ErrorCodeTable,
  RegisteredErrorCode,
} from './error-codes.js';
export { CORE_ERROR_CODES } from './core-error-codes.js';
export type { ErrorDetail, EvalHubErrorOptions } from './errors.js';

// ---- The HTTP contract: its types, the OpenAPI document and validation against it
export type * from './types.js';
/** The HTTP contract's operations, generated from the OpenAPI document (typed clients build on them). */
export type { paths as ApiPaths, operations as ApiOperations } from './generated/openapi.js';
export { EVALUATION_STATUSES, isTerminalEvaluation } from './types.js';
export { openApiDocument, assertValid, compileSchema, toErrorDetails } from './contract/validator.js';
export { compareEvaluations, DEFAULT_TOLERANCE } from './comparison.js';

// ---- The hub: composition root, configuration and the evaluation service it runs
export { createHub } from './hub.js';
export type { CreateHubOptions, Hub, LoadedPlugin, PluginInput } from './hub.js';
export { loadConfig, pluginOptionsFor } from './config/config.js';
export type { HubConfig, LoadConfigOptions, ModelServerConfig, PluginRef } from './config/config.js';
/** The classes behind `hub.service`, `hub.providers` and `hub.collections` (built by createHub). */
export type { EvaluationService, SubmitOptions } from './service/evaluation-service.js';
export type { ProviderRegistry } from './service/provider-registry.js';
export type { CollectionCatalog } from './service/collection-catalog.js';
export type { ServiceSettings } from './service/tokens.js';
export { CORE_VERSION } from './version.js';

// ---- Plugins: manifests and how they read their options
export { definePlugin, isPlugin, PLUGIN_API_VERSION } from './plugins/define-plugin.js';
export type {
  HttpHandler,
  HubInfo,
  Plugin,
  PluginContext,
  PluginDefinition,
  PluginKind,
  PluginSettings,
} from './plugins/define-plugin.js';
export { resolvePluginOptions } from './plugins/plugin-options.js';
export type { PluginOptionSources } from './plugins/plugin-options.js';

// ---- Extension point: evaluation providers, and the RunContext they run in
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
/** The RunContext the hub gives a provider, for running a provider outside the hub. */
export { createRunContext } from './service/run-context.js';
export type { ManagedRunContext, ProducedArtifact, RunContextOptions } from './service/run-context.js';

// ---- Extension point: runtime (where benchmark processes run); the built-in local one
export { RuntimeToken } from './extension-points/runtime.js';
export type {
  ExecAbortReason,
  ExecLabels,
  ExecRequest,
  ExecResources,
  ExecResult,
  Runtime,
} from './extension-points/runtime.js';
export { LocalRuntime } from './runtime/local-runtime.js';
export type { LocalRuntimeOptions } from './runtime/local-runtime.js';

// ---- Extension point: tracker; the built-in none and jsonl trackers
export { TrackerToken, PermanentTrackingError } from './extension-points/tracker.js';
export type {
  TrackedArtifact,
  Tracker,
  TrackerRun,
  TrackerRunInfo,
  TrackingBatch,
} from './extension-points/tracker.js';
/** Tag core sets at the finish on a run whose tracker refused artifacts for good. */
export { ARTIFACTS_NOT_STORED_TAG } from './service/tracking-delivery.js';
/** Setting names a tracker must never record (keys, tokens, passwords). */
export { isSecretKey } from './service/tracking-data.js';
export { NoneTracker } from './trackers/none-tracker.js';
export { JsonlTracker } from './trackers/jsonl-tracker.js';
export type { JsonlTrackerOptions } from './trackers/jsonl-tracker.js';

// ---- Extension point: store; the built-in SQLite and memory stores
export { StoreToken } from './extension-points/store.js';
export type {
  ClaimOptions,
  EvaluationLease,
  EvaluationLeases,
  EvaluationPage,
  EvaluationQuery,
  EvaluationStore,
  LogTail,
  LogTails,
  ReplicaEvent,
  ReplicaEvents,
  StoredTrackingOp,
  TrackingOp,
} from './extension-points/store.js';
/** The list cursor every store hands out (opaque to clients). */
export { encodeCursor, decodeCursor } from './stores/query.js';
export { MemoryStore } from './stores/memory-store.js';
export { SqliteStore } from './stores/sqlite-store.js';
export type { SqliteStoreOptions } from './stores/sqlite-store.js';
/** Coalesces a store's saves of one document: the last one wins (stores of plugins use it too). */
export { LatestSaves } from './stores/latest-saves.js';

// ---- Logging and redaction (for plugins' own logs and messages)
export { createLogger, silentLogger } from './logging.js';
export type { Logger, LoggerOptions } from './logging.js';
export { redactUrl, redactUrls } from './redaction.js';

// ---- Helpers plugins share: "did you mean" names, the end of a log file
export { closestNames } from './close-names.js';
export { tailFile } from './files/tail-file.js';

// ---- The model gateway (docs/model-gateway.md)
export { ModelGateway } from './gateway/model-gateway.js';
export type {
  GatewayRoute,
  GatewayServerConfig,
  ModelGatewayOptions,
  RouteRequest,
} from './gateway/model-gateway.js';
export { perfMetrics } from './gateway/perf-stats.js';
export type { PerfStats } from './gateway/perf-stats.js';
export { CACHE_HEADER } from './gateway/proxy-server.js';
export { PROBE_HEADER } from './gateway/forward-headers.js';

/** Types in ModelGateway's signatures (its `limit` and `retry` options, `limiterState()`). */
export type { AdaptiveLimitOptions, LimitState } from './gateway/adaptive-limit.js';
export type { ServerLimiterState } from './gateway/server-limiter.js';
export type { RetryOptions } from './gateway/retry-policy.js';
