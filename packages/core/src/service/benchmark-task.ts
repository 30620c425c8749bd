import type { BenchmarkTask } from '../extension-points/provider.js';
import type { Evaluation } from '../types.js';
import { providerConfig } from './benchmark-gateway.js';
import type { ModelResolver } from './model-resolver.js';

/** What a provider is handed for benchmark `index` of `e` (at validation and at run time). */
export function benchmarkTask(
  e: Evaluation,
  index: number,
  models: ModelResolver,
  defaultTimeoutSeconds: number,
): BenchmarkTask {
  const b = e.benchmarks[index]!;
  const apiKey = models.apiKeyFor(e.model);
  return {
    evaluationId: e.id,
    index,
    benchmark: { benchmark_id: b.benchmark_id, provider_id: b.provider_id, config: providerConfig(b.config) },
    model: e.model,
    ...(e.experiment ? { experiment: e.experiment } : {}),
    timeoutMs: (e.timeout_seconds ?? defaultTimeoutSeconds) * 1000,
    ...(apiKey ? { modelApiKey: apiKey } : {}),
  };
}
