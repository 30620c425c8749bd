import type { EvaluationProvider } from '../extension-points/provider.js';
import type { GatewayRoute, ModelGateway } from '../gateway/model-gateway.js';
import { perfData } from '../gateway/perf-stats.js';
import type { BenchmarkRun, Evaluation } from '../types.js';

/** The benchmark setting (`config.cache`) that asks for the gateway's response cache; the hub's, not the provider's. */
export const CACHE_SETTING = 'cache';

/** A benchmark's `config` as its provider sees it: without the hub's own `cache` setting. */
export function providerConfig(config: Record<string, unknown>): Record<string, unknown> {
  if (!(CACHE_SETTING in config)) return config;
  const { [CACHE_SETTING]: _cache, ...rest } = config;
  return rest;
}

/**
 * The gateway route of benchmark `index`, when the hub routes (a gateway is given) and the
 * provider sends its engine through it; undefined otherwise.
 */
export async function routeBenchmark(
  gateway: ModelGateway | undefined,
  provider: EvaluationProvider,
  e: Evaluation,
  index: number,
): Promise<GatewayRoute | undefined> {
  if (!gateway || provider.usesModelGateway !== true) return undefined;
  const b = e.benchmarks[index]!;
  const cache = b.config[CACHE_SETTING];
  return gateway.route({
    evaluationId: e.id,
    benchmarkId: b.benchmark_id,
    benchmarkIndex: index,
    model: e.model,
    ...(typeof cache === 'boolean' ? { cache } : {}),
  });
}

/**
 * Ends the route and records its perf data (and whether answers came from the cache) on the
 * benchmark; a run that sent no model request (a RAGAS metric without a judge) records none.
 */
export function releaseRoute(route: GatewayRoute, b: BenchmarkRun): void {
  const stats = route.release();
  delete b.perf;
  delete b.cache;
  if (stats.requests === 0) return;
  b.perf = perfData(stats);
  if (stats.cacheHits > 0) b.cache = stats.cacheHits >= stats.requests ? 'hit' : 'partial';
}

/**
 * The evaluation's cache marker over the benchmarks that have one or perf data: `hit` when every
 * routed benchmark was answered from the cache, `partial` when some answers were; undefined when none.
 */
export function evaluationCache(e: Evaluation): 'hit' | 'partial' | undefined {
  const routed = e.benchmarks.filter((b) => b.perf !== undefined);
  if (!routed.some((b) => b.cache)) return undefined;
  return routed.every((b) => b.cache === 'hit') ? 'hit' : 'partial';
}
