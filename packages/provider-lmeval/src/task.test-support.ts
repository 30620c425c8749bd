/**
 * The benchmark task the unit tests beside this file check: one lm_evaluation_harness benchmark
 * with the given config, for a vLLM model that is never called.
 * Not part of the build (packages/provider-lmeval/tsconfig.json excludes `*.test-support.ts`).
 */
import type { BenchmarkTask } from '@evalhub/core';

export const task = (id: string, config: Record<string, unknown>): BenchmarkTask => ({
  evaluationId: 'e',
  index: 0,
  benchmark: { benchmark_id: id, provider_id: 'lm_evaluation_harness', config },
  model: { server: 'vllm', name: 'm', url: 'http://h/v1', configuration: {} },
  timeoutMs: 1000,
});
