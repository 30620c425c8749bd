import { describe, expect, it } from 'vitest';
import { storeQueueCount } from './queue-count.js';

/** A store count the test sets, counting its reads, on a clock the test moves. */
function store(initial: number) {
  const s = { waiting: initial, reads: 0, time: 0 };
  const read = async (): Promise<number> => {
    s.reads++;
    return s.waiting;
  };
  return { s, read, now: () => s.time };
}

describe('storeQueueCount', () => {
  it('answers from a recent count plus what it admitted since, far below the bound', async () => {
    const { s, read, now } = store(10);
    const count = storeQueueCount(read, { limit: 1_000, maxAgeMs: 1_000, now });
    expect(await count()).toBe(10);
    expect(await count()).toBe(11); // the first admission is not in the store's count yet
    expect(await count()).toBe(12);
    expect(s.reads).toBe(1);
    // Past its age the count is read again; admissions made before that read are in it.
    s.time = 1_000;
    s.waiting = 40;
    expect(await count()).toBe(40);
    expect(await count()).toBe(41);
    expect(s.reads).toBe(2);
  });

  it('counts the store for every admission near the bound', async () => {
    const { s, read, now } = store(85);
    const count = storeQueueCount(read, { limit: 100, maxAgeMs: 60_000, now });
    // 85, then the estimates 86, 87, 88; at 89 (90 % of the bound, minus one) the store is read.
    expect([await count(), await count(), await count(), await count()]).toEqual([85, 86, 87, 88]);
    expect(s.reads).toBe(1);
    s.waiting = 95; // what the other replicas admitted meanwhile
    expect(await count()).toBe(95);
    expect(await count()).toBe(95);
    expect(s.reads).toBe(3);
  });

  it('never skips the store for a small bound', async () => {
    const { s, read, now } = store(0);
    const count = storeQueueCount(read, { limit: 2, maxAgeMs: 60_000, now });
    await Promise.all([count(), count(), count()]);
    await count();
    expect(s.reads).toBeGreaterThanOrEqual(2);
    expect(await count()).toBe(0);
  });
});
