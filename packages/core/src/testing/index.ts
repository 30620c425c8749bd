/**
 * Tools for plugin authors: the conformance kit and small reusable plugins for tests.
 * Import from '@evalhub/core/testing'.
 */
export {
  verifyProvider,
  verifyTracker,
  sampleBenchmark,
  sampleEvaluation,
  ConformanceError,
} from './conformance.js';
export type { ConformanceCheck, VerifyProviderOptions } from './conformance.js';
export { ScriptedProvider } from './scripted-provider.js';
export type { ScriptedBehaviour } from './scripted-provider.js';
export { RecordingTracker } from './recording-tracker.js';
export type { RecordedRun } from './recording-tracker.js';
export {
  describeLogTailsConformance,
  describeStoreConformance,
  conformanceEvaluation,
} from './store-conformance.js';
export type { StoreConformanceApi, StoreConformanceMatchers, StoreFactory } from './store-conformance.js';
export { MemoryLogTails } from './memory-log-tails.js';
export { verifyPlugin } from './verify-plugin.js';
export type { VerifyPluginOptions, VerifiedPlugin } from './verify-plugin.js';
export { createTestPluginContext } from './plugin-context.js';
export type { TestPluginContext, TestPluginContextOptions } from './plugin-context.js';
export { createTestHub } from './test-hub.js';
export type { TestHub, TestHubOptions } from './test-hub.js';
export type { RecordedCall, RecordedMethod, RecordingTrackerOptions } from './recording-tracker.js';
export { until } from './until.js';
export type { UntilOptions } from './until.js';
