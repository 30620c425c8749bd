import { describe, expect, it } from 'vitest';
import type { ReplicaEvent, ReplicaEvents } from '../extension-points/store.js';
import { createLogger } from '../logging.js';
import type { EvaluationEvent } from '../types.js';
import { EventHub } from './event-hub.js';
import { ReplicaRelay, TOPICS } from './replica-relay.js';

/** Replicas' event bus in one process: every publish reaches every other replica's subscribers. */
class Bus {
  readonly published: ReplicaEvent[] = [];
  private readonly members: { origin: string; fn: (e: ReplicaEvent) => void }[] = [];
  replica(origin: string): ReplicaEvents {
    return {
      origin,
      publish: (topic, payload) => {
        const event = { topic, payload: JSON.parse(JSON.stringify(payload)) as unknown, origin };
        this.published.push(event);
        for (const m of this.members) if (m.origin !== origin) m.fn(event);
        return Promise.resolve();
      },
      subscribe: (fn) => {
        const m = { origin, fn };
        this.members.push(m);
        return () => this.members.splice(this.members.indexOf(m), 1);
      },
    };
  }
}

const logger = createLogger({ level: 'silent' });

function replica(bus: Bus, origin: string, owned: string[] = []) {
  const hub = new EventHub();
  const cancels: [string, number][] = [];
  let claimable = 0;
  const relay = new ReplicaRelay({
    events: bus.replica(origin),
    hub,
    logger,
    owns: (id) => owned.includes(id),
    onCancel: (id, token) => cancels.push([id, token]),
    onClaimable: () => claimable++,
  });
  return { hub, relay, cancels, claimable: () => claimable };
}

async function collect(hub: EventHub, id: string): Promise<EvaluationEvent[]> {
  const out: EvaluationEvent[] = [];
  for await (const e of hub.subscribe(id, 0, AbortSignal.timeout(5_000))) out.push(e);
  return out;
}

describe('ReplicaRelay', () => {
  it("sends the running replica's events in one batch and publishes them on the others until the result", async () => {
    const bus = new Bus();
    const a = replica(bus, 'a', ['e1']);
    const b = replica(bus, 'b');
    const followed = collect(b.hub, 'e1');
    a.relay.push('e1', { type: 'status', status: 'running' });
    a.relay.push('e1', { type: 'log', benchmark_index: 0, benchmark_id: 'x', line: 'hello' });
    a.relay.push('e1', { type: 'result', status: 'completed' });
    await a.relay.flush();
    expect(bus.published.filter((e) => e.topic === TOPICS.events)).toHaveLength(1);
    expect((await followed).map((e) => [e.seq, e.type])).toEqual([
      [1, 'status'],
      [2, 'log'],
      [3, 'result'],
    ]);
  });

  it('ignores events of an evaluation it runs itself, and passes cancels and work hints on', async () => {
    const bus = new Bus();
    const a = replica(bus, 'a', ['e1']);
    const b = replica(bus, 'b', ['e1']);
    a.relay.push('e1', { type: 'status', status: 'running' });
    await a.relay.flush();
    expect(b.hub.has('e1')).toBe(false);
    await a.relay.publish(TOPICS.cancel, { id: 'e1', token: 7 });
    await a.relay.publish(TOPICS.claimable, {});
    expect(b.cancels).toEqual([['e1', 7]]);
    expect(b.claimable()).toBe(1);
    await a.relay.close();
    await b.relay.close();
  });
});
