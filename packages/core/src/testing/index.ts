/**
 * Tools for plugin authors: the conformance kit and small reusable plugins for tests.
 * Import from '@evalhub/core/testing'.
 */
export { verifyProvider, verifyTracker, sampleEvaluation, ConformanceError } from './conformance.js';
export type { ConformanceCheck, VerifyProviderOptions } from './conformance.js';
export { ScriptedProvider } from './scripted-provider.js';
export type { ScriptedBehaviour } from './scripted-provider.js';
export { RecordingTracker } from './recording-tracker.js';
export type { RecordedRun } from './recording-tracker.js';
export { describeStoreConformance, conformanceEvaluation } from './store-conformance.js';
export type { StoreConformanceApi, StoreConformanceMatchers, StoreFactory } from './store-conformance.js';
