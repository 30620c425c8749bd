import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCommit } from './group-commit.js';

describe('GroupCommit', () => {
  let db: Database.Database;
  const rows = (): string[] =>
    db
      .prepare<[], { v: string }>('SELECT v FROM t ORDER BY v')
      .all()
      .map((r) => r.v);
  const insert = (v: string) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;

  beforeEach(() => {
    db = new Database(':memory:');
    db.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
  });
  afterEach(() => db.close());

  it('commits the writes of one turn in one transaction before any of them resolves', async () => {
    const writes = new GroupCommit(db);
    const transaction = vi.spyOn(db, 'transaction');
    const committed = [writes.run(insert('a')), writes.run(insert('b')), writes.run(insert('c'))];
    expect(rows()).toEqual([]); // nothing is written until the turn ends
    const seen = await Promise.all(committed.map((p) => p.then(() => rows())));
    expect(seen).toEqual([
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
      ['a', 'b', 'c'],
    ]);
    expect(transaction).toHaveBeenCalledTimes(1);

    await writes.run(insert('d'));
    expect(transaction).toHaveBeenCalledTimes(2); // a later turn is a transaction of its own
  });

  it('rejects only the caller whose write fails; the rest of its batch commits', async () => {
    const writes = new GroupCommit(db);
    const results = await Promise.allSettled([
      writes.run(insert('a')),
      writes.run(insert('a')), // duplicate key
      writes.run(insert('b')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
    expect(rows()).toEqual(['a', 'b']);
  });

  it('flush() commits what is queued at once', async () => {
    const writes = new GroupCommit(db);
    const committed = writes.run(insert('a'));
    writes.flush();
    expect(rows()).toEqual(['a']);
    await expect(committed).resolves.toBe(1);
  });
});
