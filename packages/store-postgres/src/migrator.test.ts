import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { migrationLockKey, readMigrations } from './migrator.js';

const dir = mkdtempSync(join(tmpdir(), 'evalhub-pg-migrations-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('migrations', () => {
  it('ships versioned SQL files, numbered from 1 without gaps, with checksums', () => {
    const migrations = readMigrations();
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(migrations[0]).toMatchObject({ version: 1, name: 'initial' });
    expect(migrations[0]!.sql).toContain('CREATE TABLE evaluations');
    expect(migrations[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a gap in the versions', () => {
    writeFileSync(join(dir, '001_a.sql'), 'SELECT 1;');
    writeFileSync(join(dir, '003_c.sql'), 'SELECT 3;');
    writeFileSync(join(dir, 'README.txt'), 'ignored');
    expect(() => readMigrations(dir)).toThrow(/Migration 3_c: expected version 2/);
  });

  it('locks per schema', () => {
    expect(migrationLockKey('public')).toBe(migrationLockKey('public'));
    expect(migrationLockKey('public')).not.toBe(migrationLockKey('other'));
  });
});
