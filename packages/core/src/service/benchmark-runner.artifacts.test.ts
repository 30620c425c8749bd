import { afterEach, describe, expect, it } from 'vitest';
import { RecordingTracker } from '../testing/recording-tracker.js';
import { ScriptedProvider } from '../testing/scripted-provider.js';
import { createTestHub, type TestHub } from '../testing/test-hub.js';

const hubs: TestHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

describe('BenchmarkRunner artifacts', () => {
  it('lists artifacts as content_type on the evaluation and hands the tracker contentType, one field each', async () => {
    const tracker = new RecordingTracker();
    const t = await createTestHub({
      providers: [new ScriptedProvider()],
      tracker,
      env: { EVALHUB_MODEL_SERVER_VLLM: 'http://127.0.0.1:9/v1' },
    });
    hubs.push(t);
    const e = await t.hub.evaluate({
      model: { server: 'vllm', name: 'm' },
      benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted', config: {} }],
    });
    await t.hub.service.trackingIdle();

    expect(e.benchmarks[0]!.artifacts).toEqual([
      { name: 'ok/result.json', size: 11, content_type: 'application/json' },
    ]);
    const tracked = tracker.runs.get(e.id)!.artifacts.find((a) => a.name === 'ok/result.json')!;
    expect(tracked).toEqual({ name: 'ok/result.json', path: tracked.path, contentType: 'application/json' });
  });
});
