// Public surface of @evalhub/tracker-mlflow.
// MLflow REST client (undici): experiments, runs, metrics, artifacts, retries, auth/TLS.
export * from './client/index.js';
// The tracker, its plugin manifest and the /mlflow proxy.
export { mlflowTrackerPlugin, mlflowTrackerPlugin as default } from './plugin.js';
export { MlflowTracker } from './tracker/mlflow-tracker.js';
export type { MlflowTrackerInit } from './tracker/mlflow-tracker.js';
export {
  optionsSchema,
  clientOptionsFrom,
  DEFAULT_EXPERIMENT_PREFIX,
  MLFLOW_SETTINGS,
} from './tracker/options.js';
export type { MlflowTrackerOptions } from './tracker/options.js';
export {
  experimentName,
  experimentTags,
  experimentDescription,
  runName,
  runTags,
  runDescription,
  finishTags,
  runStatusFor,
  slug,
  NOTE_TAG,
  EXPERIMENT_KIND_TAG,
  EXPERIMENT_KIND,
} from './tracker/structure.js';
export { MLFLOW_ERROR_CODES } from './error-codes.js';
export type { MlflowErrorCode } from './error-codes.js';
export { createMlflowProxy, isAllowed, parseTarget } from './proxy/mlflow-proxy.js';
export type { MlflowProxyOptions } from './proxy/mlflow-proxy.js';
