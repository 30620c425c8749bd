export {
  MlflowClient,
  RUN_KEY_TAG,
  decodeExperiment,
  decodeRun,
  decodeRunInfo,
  decodeMetric,
} from './client.js';
export type {
  CreateRunInput,
  CreateRunIdempotentInput,
  SearchRunsInput,
  SearchExperimentsInput,
} from './client.js';
export { MlflowError } from './errors.js';
export { optionsFromEnv, DEFAULT_TRACKING_URI } from './options.js';
export type { MlflowClientOptions, MlflowTlsOptions, ClientLogger } from './options.js';
export {
  DEFAULT_RETRY_POLICY,
  backoffDelay,
  nextDelay,
  parseRetryAfter,
  isRetryableStatus,
} from './retry.js';
export type { RetryPolicy } from './retry.js';
export { MLFLOW_LIMITS, sanitizeKey, isValidMlflowKey, fitValue } from './keys.js';
export type { FittedValue } from './keys.js';
export { encodeDouble, decodeDouble, toKeyValues } from './codec.js';
export { prepareBatch, chunkBatch, BatchValidationError } from './batch.js';
export type { KeyPolicy, WireBatch, WireMetric } from './batch.js';
export {
  resolveArtifactLocation,
  artifactFileUrl,
  artifactListUrl,
  ArtifactUriError,
} from './artifact-uri.js';
export type { ArtifactLocation } from './artifact-uri.js';
export type * from './types.js';
