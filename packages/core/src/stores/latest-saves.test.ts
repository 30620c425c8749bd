import { describe, expect, it } from 'vitest';
import type { Evaluation } from '../types.js';
import { LatestSaves } from './latest-saves.js';

const doc = (id: string, status: string): Evaluation => ({ id, status }) as unknown as Evaluation;

describe('LatestSaves', () => {
  it('writes the newest document once for saves that wait for the same write', async () => {
    const saves = new LatestSaves();
    const written: string[] = [];
    let release!: () => void;
    const batch = new Promise<void>((r) => (release = r));
    const enqueue = (take: () => Evaluation): Promise<void> =>
      batch.then(() => void written.push(take().status as string));
    const a = saves.save(doc('e1', 'pending'), enqueue);
    const b = saves.save(doc('e1', 'running'), enqueue);
    const other = saves.save(doc('e2', 'pending'), enqueue);
    expect(b).toBe(a);
    release();
    await Promise.all([a, b, other]);
    expect(written).toEqual(['running', 'pending']);
  });

  it('queues a new write for a save that comes after the write took its document', async () => {
    const saves = new LatestSaves();
    const written: string[] = [];
    const now = (take: () => Evaluation): Promise<void> => {
      written.push(take().status as string); // a write that runs at once
      return Promise.resolve();
    };
    await saves.save(doc('e1', 'pending'), now);
    await saves.save(doc('e1', 'running'), now);
    expect(written).toEqual(['pending', 'running']);
  });
});
