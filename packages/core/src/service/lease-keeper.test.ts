import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LeaseLostError } from '../errors.js';
import type { ClaimOptions, EvaluationLease, EvaluationLeases } from '../extension-points/store.js';
import { createLogger } from '../logging.js';
import type { Evaluation } from '../types.js';
import { LeaseKeeper } from './lease-keeper.js';

/**
 * The lease semantics of EvaluationLeases kept in memory (one evaluation table, one clock), for the
 * keeper's own behaviour; the real implementation is tested on PostgreSQL in store-postgres.
 */
class TableLeases implements EvaluationLeases {
  readonly rows = new Map<string, { owner?: string; token: number; until: number }>();
  saves: string[] = [];
  down = false;

  add(id: string): void {
    this.rows.set(id, { token: 0, until: 0 });
  }
  private check(): void {
    if (this.down) throw new Error('store unreachable');
  }
  private held(l: EvaluationLease): boolean {
    const r = this.rows.get(l.evaluationId);
    return !!r && r.owner === l.owner && r.token === l.token && r.until > Date.now();
  }
  claim(owner: string, o: ClaimOptions): Promise<EvaluationLease[]> {
    this.check();
    const out: EvaluationLease[] = [];
    for (const [id, r] of this.rows) {
      if (out.length >= o.limit || (o.ids && !o.ids.includes(id))) continue;
      if (r.owner && r.until > Date.now() && !o.takeOver) continue;
      Object.assign(r, { owner, token: r.token + 1, until: Date.now() + o.leaseMs });
      out.push({ evaluationId: id, owner, token: r.token, expiresAt: new Date(r.until) });
    }
    return Promise.resolve(out);
  }
  renew(l: EvaluationLease, leaseMs: number): Promise<EvaluationLease> {
    this.check();
    if (!this.held(l)) return Promise.reject(new LeaseLostError(l.evaluationId, l.token, 'gone'));
    const r = this.rows.get(l.evaluationId)!;
    r.until = Date.now() + leaseMs;
    return Promise.resolve({ ...l, expiresAt: new Date(r.until) });
  }
  release(l: EvaluationLease): Promise<void> {
    const r = this.rows.get(l.evaluationId);
    if (r && r.owner === l.owner && r.token === l.token) r.owner = undefined;
    return Promise.resolve();
  }
  current(): Promise<EvaluationLease | undefined> {
    return Promise.resolve(undefined);
  }
  saveEvaluation(l: EvaluationLease, e: Evaluation): Promise<void> {
    this.check();
    if (!this.held(l)) return Promise.reject(new LeaseLostError(l.evaluationId, l.token, 'gone'));
    this.saves.push(e.id);
    return Promise.resolve();
  }
  appendTrackingOps(l: EvaluationLease): Promise<void> {
    return this.held(l)
      ? Promise.resolve()
      : Promise.reject(new LeaseLostError(l.evaluationId, l.token, 'x'));
  }
  completeTrackingOps(l: EvaluationLease): Promise<void> {
    return this.appendTrackingOps(l);
  }
}

const doc = (id: string): Evaluation => ({ id }) as Evaluation;
const logger = createLogger({ level: 'silent' });

let leases: TableLeases;
let lost: string[];
let ticks: number;
const keeper = (owner = 'a'): LeaseKeeper =>
  new LeaseKeeper({
    leases,
    owner,
    leaseMs: 3_000,
    logger,
    onLost: (id) => lost.push(id),
    onTick: () => ticks++,
  });

beforeEach(() => {
  vi.useFakeTimers();
  leases = new TableLeases();
  lost = [];
  ticks = 0;
});
afterEach(() => {
  vi.useRealTimers();
});

describe('LeaseKeeper', () => {
  it('renews its leases every third of their length, so they outlive it, and looks for work each time', async () => {
    leases.add('e1');
    const a = keeper();
    await a.claim(5);
    a.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(lost).toEqual([]);
    expect(ticks).toBe(10);
    expect(await keeper('b').claim(5)).toEqual([]);
    await a.saveEvaluation(doc('e1'));
    expect(leases.saves).toEqual(['e1']);
    await a.stop();
    expect(await keeper('b').claim(5)).toHaveLength(1);
  });

  it('drops a lease another replica took over: reported once, later writes refused without the store', async () => {
    leases.add('e1');
    const a = keeper();
    await a.claim(5);
    a.start();
    await keeper('b').claim(1, ['e1'], true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lost).toEqual(['e1']);
    expect(a.has('e1')).toBe(false);
    await expect(a.saveEvaluation(doc('e1'))).rejects.toMatchObject({ code: 'lease_lost' });
    expect(leases.saves).toEqual([]);
    expect(lost).toEqual(['e1']);
    await a.stop();
  });

  it('drops a lease whose write was fenced', async () => {
    leases.add('e1');
    const a = keeper();
    await a.claim(5);
    await keeper('b').claim(1, ['e1'], true);
    await expect(a.saveEvaluation(doc('e1'))).rejects.toBeInstanceOf(LeaseLostError);
    expect(lost).toEqual(['e1']);
  });

  it('stops work whose lease ran out while the store was unreachable', async () => {
    leases.add('e1');
    const a = keeper();
    await a.claim(5);
    a.start();
    leases.down = true;
    await vi.advanceTimersByTimeAsync(2_500);
    expect(lost).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(lost).toEqual(['e1']);
    await a.stop();
  });
});
