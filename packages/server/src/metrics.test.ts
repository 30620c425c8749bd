import { createTestHub, ScriptedProvider, type TestHub } from '@evalhub/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerMetrics } from './metrics.js';

const hubs: TestHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

const request = (benchmark_id: string, config: Record<string, unknown> = {}) => ({
  model: { server: 'vllm', name: 'm' },
  benchmarks: [{ benchmark_id, provider_id: 'scripted', config }],
});

/** A metric's value in the Prometheus text, 0 when the series is absent. */
function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

describe('ServerMetrics', () => {
  it('counts every evaluation the service finishes through one subscription, until closed', async () => {
    const t = await createTestHub({
      providers: [new ScriptedProvider()],
      env: { EVALHUB_MODEL_SERVER_VLLM: 'http://127.0.0.1:9/v1' },
    });
    hubs.push(t);
    const service = t.hub.service;
    const metrics = new ServerMetrics(t.hub, { defaultMetrics: false });

    // submitted straight to the service: no route tells the metrics about them
    const ok = (await service.submit(request('noop'))).evaluation;
    const failed = (await service.submit(request('fail', { fail: 'boom' }))).evaluation;
    await service.wait(ok.id);
    await service.wait(failed.id);

    let text = await metrics.registry.metrics();
    expect(value(text, 'evalhub_evaluations_finished_total{status="completed"}')).toBe(1);
    expect(value(text, 'evalhub_evaluations_finished_total{status="failed"}')).toBe(1);
    expect(
      value(text, 'evalhub_benchmark_duration_seconds_count{provider="scripted",status="completed"}'),
    ).toBe(1);
    expect(value(text, 'evalhub_benchmark_duration_seconds_count{provider="scripted",status="failed"}')).toBe(
      1,
    );
    expect(value(text, 'evalhub_evaluations_active')).toBe(0);

    metrics.close();
    const after = (await service.submit(request('noop'))).evaluation;
    await service.wait(after.id);
    text = await metrics.registry.metrics();
    expect(value(text, 'evalhub_evaluations_finished_total{status="completed"}')).toBe(1);
  });
});
