export { ragasProvider, optionsSchema } from './plugin.js';
export type { RagasPluginOptions } from './plugin.js';
export { RAGAS_ERROR_CODES } from './error-codes.js';
export { RagasProvider, PROVIDER_ID, RUNNER_PATH } from './provider.js';
export type { RagasProviderOptions } from './provider.js';
export {
  METRICS,
  SUITES,
  CONFIG_SCHEMA,
  benchmarkMetrics,
  describeBenchmarks,
  metricInfo,
  requiredColumns,
} from './catalog.js';
export type { Column, MetricInfo } from './catalog.js';
export { loadDataset, resolveDatasetPath } from './dataset.js';
export type { DatasetOptions, LoadedDataset, RagasRow } from './dataset.js';
export { CONTRACT_VERSION, parseRunnerEvent, parseRunnerResult } from './contract.js';
export type { MetricSummary, RowResult, RunnerEvent, RunnerResult, RunnerSpec } from './contract.js';
export { ragasProvider as default } from './plugin.js';
