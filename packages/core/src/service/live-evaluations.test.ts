import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../stores/memory-store.js';
import { sampleEvaluation } from '../testing/conformance.js';
import type { BenchmarkRun, EvaluationEvent } from '../types.js';
import { EventHub } from './event-hub.js';
import { LiveEvaluations, type EventInput } from './live-evaluations.js';

const pending = (benchmark_id: string): BenchmarkRun => ({
  benchmark_id,
  provider_id: 'scripted',
  config: {},
  status: 'pending',
  progress: { fraction: 0 },
  attempts: 0,
});

/** A LiveEvaluations over a real memory store and event hub, recording what it relays. */
async function setup() {
  const store = new MemoryStore();
  const events = new EventHub();
  const relayed: { id: string; event: EventInput }[] = [];
  const live = new LiveEvaluations(store, events, (id, event) => relayed.push({ id, event }));
  const e = sampleEvaluation({ status: 'pending', benchmarks: [pending('ok'), pending('ok2')] });
  await store.createEvaluation(structuredClone(e));
  const published = (): EvaluationEvent[] => {
    const out: EvaluationEvent[] = [];
    events.listen((ev) => out.push(ev));
    return out;
  };
  return { store, events, live, e, relayed, published };
}

describe('LiveEvaluations', () => {
  it('keeps the evaluations this process owns, each with its abort switch and completion', async () => {
    const { live, e } = await setup();
    expect(live.has(e.id)).toBe(false);
    const entry = live.add(e);
    expect(live.get(e.id)).toBe(entry);
    expect(live.size).toBe(1);
    expect([...live.values()]).toEqual([entry]);
    expect(entry).toMatchObject({ evaluation: e, cancelRequested: false });
    expect(entry.abort.signal.aborted).toBe(false);

    // The snapshot is a copy: changing it leaves the live document alone.
    const copy = live.snapshot(e.id)!;
    copy.status = 'failed';
    expect(entry.evaluation.status).toBe('pending');
    expect(live.snapshot('unknown')).toBeUndefined();

    entry.resolveDone(undefined);
    await expect(entry.done).resolves.toBeUndefined();
    live.delete(e.id);
    expect(live.has(e.id)).toBe(false);
    expect(live.size).toBe(0);
  });

  it('persists the live document to the store, stamping updated_at', async () => {
    const { live, store, e } = await setup();
    const entry = live.add(e);
    entry.evaluation.updated_at = '2000-01-01T00:00:00.000Z';
    entry.evaluation.status = 'running';
    await live.persist(entry);
    const stored = (await store.getEvaluation(e.id))!;
    expect(stored.status).toBe('running');
    expect(stored.updated_at).not.toBe('2000-01-01T00:00:00.000Z');
    expect(stored.updated_at).toBe(entry.evaluation.updated_at);
  });

  it('serialises writes per evaluation, in call order, also after one fails', async () => {
    const { live } = await setup();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((ok) => (release = ok));
    const first = live.withLock('a', async () => {
      await gate;
      order.push('a1');
      throw new Error('first write failed');
    });
    const second = live.withLock('a', async () => {
      order.push('a2');
      return 2;
    });
    // Another evaluation does not wait for 'a'.
    await live.withLock('b', async () => void order.push('b1'));
    expect(order).toEqual(['b1']);
    release();
    await expect(first).rejects.toThrow('first write failed');
    await expect(second).resolves.toBe(2);
    expect(order).toEqual(['b1', 'a1', 'a2']);
  });

  it('publishes benchmark_status only when a patch changes the status, and relays every event', async () => {
    const { live, e, relayed, published } = await setup();
    const seen = published();
    const entry = live.add(e);
    live.setBenchmark(entry, 1, { status: 'running', attempts: 1 });
    live.setBenchmark(entry, 1, { progress: { fraction: 0.5 } });
    live.setBenchmark(entry, 1, { status: 'running' });
    expect(entry.evaluation.benchmarks[1]).toMatchObject({
      status: 'running',
      attempts: 1,
      progress: { fraction: 0.5 },
    });
    expect(seen.map((ev) => [ev.type, ev.evaluation_id, ev.benchmark_index, ev.benchmark_id])).toEqual([
      ['benchmark_status', e.id, 1, 'ok2'],
    ]);
    live.publish(e.id, { type: 'status', status: 'running' });
    expect(seen.map((ev) => ev.seq)).toEqual([1, 2]);
    expect(relayed).toEqual([
      {
        id: e.id,
        event: { type: 'benchmark_status', benchmark_index: 1, benchmark_id: 'ok2', status: 'running' },
      },
      { id: e.id, event: { type: 'status', status: 'running' } },
    ]);
  });

  it('merges tracking state into the live document, or the stored one, publishing a state change', async () => {
    const { live, store, e, published } = await setup();
    const seen = published();
    const entry = live.add(e);
    await live.updateTracking(e.id, { state: 'synced', run_id: 'r1' });
    expect(entry.evaluation.tracking).toMatchObject({ state: 'synced', run_id: 'r1' });
    expect((await store.getEvaluation(e.id))!.tracking).toMatchObject({ state: 'synced', run_id: 'r1' });

    // Same state again: saved, not published. An undefined field is removed.
    await live.updateTracking(e.id, { run_id: undefined });
    expect(entry.evaluation.tracking).not.toHaveProperty('run_id');
    expect(seen.filter((ev) => ev.type === 'tracking').map((ev) => ev.status)).toEqual(['synced']);

    // Not live any more: the stored document is changed.
    live.delete(e.id);
    await live.updateTracking(e.id, { state: 'failed' });
    expect((await store.getEvaluation(e.id))!.tracking.state).toBe('failed');
    expect(seen.filter((ev) => ev.type === 'tracking').map((ev) => ev.status)).toEqual(['synced', 'failed']);

    // Neither live nor stored: nothing happens.
    await expect(live.updateTracking('gone', { state: 'synced' })).resolves.toBeUndefined();
    expect(await store.getEvaluation('gone')).toBeUndefined();
  });
});
