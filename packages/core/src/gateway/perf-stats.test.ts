import { describe, expect, it } from 'vitest';
import { PERF_METRIC_NAMES, PerfRecorder, percentile, perfMetrics } from './perf-stats.js';

describe('PerfRecorder', () => {
  it('counts requests, tokens, latency percentiles, throughput and peak concurrency', () => {
    let now = 1000;
    const rec = new PerfRecorder(() => now);
    rec.arrived();
    for (let i = 1; i <= 100; i++) {
      rec.upstream(1);
      if (i <= 3) rec.upstream(1);
      rec.finished({
        latencyMs: i,
        overheadMs: 0.1,
        ok: i !== 100,
        cacheHit: i <= 10,
        promptTokens: 10,
        completionTokens: 1,
      });
      rec.upstream(-1);
      if (i <= 3) rec.upstream(-1);
      if (i === 3) rec.retried();
    }
    now = 3000;
    rec.finished({ latencyMs: 50, overheadMs: 0.2, ok: true, cacheHit: false });
    const s = rec.snapshot();
    expect(s).toMatchObject({
      requests: 101,
      errors: 1,
      retries: 1,
      cacheHits: 10,
      promptTokens: 1000,
      completionTokens: 100,
      latencyP50Ms: 50,
      latencyP99Ms: 99,
      durationSeconds: 2,
      requestsPerSecond: 50.5,
      tokensPerSecond: 550,
      peakConcurrency: 2,
      overheadP99Ms: 0.1,
    });
  });

  it('is all zeros before any request', () => {
    const s = new PerfRecorder().snapshot();
    expect(Object.values(s).every((v) => v === 0)).toBe(true);
  });

  it('names metrics {benchmark_id}.perf.*', () => {
    const m = perfMetrics('arc_easy', new PerfRecorder().snapshot());
    expect(Object.keys(m)).toHaveLength(Object.keys(PERF_METRIC_NAMES).length);
    expect(m).toHaveProperty(['arc_easy.perf.requests'], 0);
    expect(m).toHaveProperty(['arc_easy.perf.latency_p99_ms'], 0);
    expect(m).toHaveProperty(['arc_easy.perf.cache_hits'], 0);
  });

  it('percentile is nearest-rank', () => {
    const xs = Float64Array.from([1, 2, 3, 4]);
    expect(percentile(xs, 50)).toBe(2);
    expect(percentile(xs, 100)).toBe(4);
    expect(percentile(new Float64Array(0), 99)).toBe(0);
  });
});
