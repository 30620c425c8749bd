import { describe, expect, it } from 'vitest';
import { EventHub } from './event-hub.js';

describe('EventHub', () => {
  it('replays after a sequence number and ends when closed', async () => {
    const hub = new EventHub();
    hub.publish('a', { type: 'status', status: 'running' });
    hub.publish('a', { type: 'log', line: 'x' });
    hub.close('a');
    const seqs = [];
    for await (const e of hub.subscribe('a', 1)) seqs.push(e.seq);
    expect(seqs).toEqual([2]);
  });

  it('tells a listener every event of every evaluation as it is published, until removed', () => {
    const hub = new EventHub();
    const seen: string[] = [];
    const stop = hub.listen((e) => seen.push(`${e.evaluation_id}:${e.seq}:${e.type}`));
    hub.publish('a', { type: 'status', status: 'running' });
    hub.publish('b', { type: 'status', status: 'running' });
    hub.publish('a', { type: 'result', status: 'completed' });
    expect(seen).toEqual(['a:1:status', 'b:1:status', 'a:2:result']);
    stop();
    hub.publish('b', { type: 'result', status: 'completed' });
    expect(seen).toHaveLength(3);
  });

  it('keeps only the newest finished streams, and drops them after the retention time', () => {
    const hub = new EventHub({ maxClosedStreams: 2, closedRetentionMs: 60_000 });
    for (const id of ['a', 'b', 'c']) {
      hub.publish(id, { type: 'status', status: 'completed' });
      hub.close(id);
    }
    expect(['a', 'b', 'c'].map((id) => hub.has(id))).toEqual([false, true, true]);

    const expiring = new EventHub({ closedRetentionMs: 0 });
    expiring.publish('old', { type: 'status', status: 'completed' });
    expiring.close('old');
    expiring.publish('new', { type: 'status', status: 'completed' });
    expiring.close('new');
    expect(expiring.has('old')).toBe(false);
  });

  it('bounds the events kept per stream, dropping progress and log lines first', () => {
    const hub = new EventHub({ maxEventsPerEvaluation: 3 });
    hub.publish('a', { type: 'status', status: 'running' });
    for (let i = 0; i < 5; i++) hub.publish('a', { type: 'log', line: String(i) });
    hub.publish('a', { type: 'result', status: 'completed' });
    hub.close('a');
    return (async () => {
      const kept = [];
      for await (const e of hub.subscribe('a')) kept.push(e.type);
      expect(kept).toEqual(['status', 'log', 'result']);
    })();
  });
});
