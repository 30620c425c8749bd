import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedProvider } from '../testing/scripted-provider.js';
import { createTestHub, type TestHub } from '../testing/test-hub.js';
import type { Evaluation } from '../types.js';

const hubs: TestHub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

async function testHub(): Promise<TestHub> {
  const t = await createTestHub({
    providers: [new ScriptedProvider()],
    env: { EVALHUB_MODEL_SERVER_VLLM: 'http://127.0.0.1:9/v1' },
  });
  hubs.push(t);
  return t;
}

const request = (benchmark_id: string, config: Record<string, unknown> = {}) => ({
  model: { server: 'vllm', name: 'm' },
  benchmarks: [{ benchmark_id, provider_id: 'scripted', config }],
});

describe('EvaluationService.onFinished', () => {
  it('calls one listener with every evaluation that finishes, before wait() resolves', async () => {
    const { hub } = await testHub();
    const finished: Evaluation[] = [];
    const stop = hub.service.onFinished((e) => finished.push(e));
    const a = (await hub.service.submit(request('noop'))).evaluation;
    const b = (await hub.service.submit(request('fail', { fail: 'boom' }))).evaluation;

    const waitedA = await hub.service.wait(a.id);
    expect(finished.map((e) => e.id)).toContain(a.id);
    await hub.service.wait(b.id);
    expect(finished.map((e) => [e.id, e.status])).toEqual([
      [a.id, 'completed'],
      [b.id, 'failed'],
    ]);
    // the final document, as wait() returns it
    expect(finished[0]).toEqual(waitedA);

    stop();
    const c = (await hub.service.submit(request('noop'))).evaluation;
    await hub.service.wait(c.id);
    expect(finished).toHaveLength(2);
  });

  it('a listener that throws does not affect the evaluation or the other listeners', async () => {
    const { hub } = await testHub();
    const seen: string[] = [];
    hub.service.onFinished(() => {
      throw new Error('listener bug');
    });
    hub.service.onFinished((e) => seen.push(e.id));
    const { evaluation } = await hub.service.submit(request('noop'));
    expect((await hub.service.wait(evaluation.id)).status).toBe('completed');
    expect((await hub.service.get(evaluation.id)).status).toBe('completed');
    expect(seen).toEqual([evaluation.id]);
  });
});
