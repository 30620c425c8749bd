import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@evalhub/core';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveOptions } from './options.js';

const dir = mkdtempSync(join(tmpdir(), 'evalhub-pg-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PostgreSQL store options', () => {
  it('reads the URL, lets separate fields win, and names the database without the password', () => {
    const r = resolveOptions(
      {
        url: 'postgres://hub:s%40cret@db.example:6543/evalhub?sslmode=require&application_name=x',
        port: 7000,
      },
      dir,
    );
    expect(r.pool).toMatchObject({
      host: 'db.example',
      port: 7000,
      user: 'hub',
      password: 's@cret',
      database: 'evalhub',
      application_name: 'x',
      ssl: { rejectUnauthorized: false },
      options: '-c search_path=public',
    });
    expect(r.target).toBe('hub@db.example:7000/evalhub sslmode=require');
    expect(r.target).not.toContain('cret');
  });

  it('defaults like libpq, without TLS, in the public schema', () => {
    const r = resolveOptions({}, dir);
    expect(r.pool).toMatchObject({
      host: 'localhost',
      port: 5432,
      user: 'postgres',
      database: 'postgres',
      ssl: false,
    });
    expect(r.schema).toBe('public');
    expect(r.retryWindowMs).toBe(15_000);
  });

  it('reads the password file (relative to the config folder) for every connection, and the CA for verify-full', async () => {
    writeFileSync(join(dir, 'pw'), 'first\n');
    writeFileSync(join(dir, 'ca.pem'), 'CA PEM');
    const r = resolveOptions(
      { password_file: 'pw', ssl_mode: 'verify-full', ssl_root_cert_file: 'ca.pem' },
      dir,
    );
    const password = r.pool.password as () => string;
    expect(password()).toBe('first');
    writeFileSync(join(dir, 'pw'), 'rotated');
    expect(password()).toBe('rotated');
    expect(r.pool.ssl).toEqual({ rejectUnauthorized: true, ca: 'CA PEM' });
  });

  it('refuses a bad URL or sslmode without repeating the URL, and a missing password file', () => {
    expect(() => resolveOptions({ url: 'postgres://u:hunter2@[bad' }, dir)).toThrow(ConfigError);
    expect(() => resolveOptions({ url: 'postgres://u:hunter2@[bad' }, dir)).not.toThrow(/hunter2/);
    expect(() => resolveOptions({ url: 'postgres://h/db?sslmode=sometimes' }, dir)).toThrow(
      /sslmode 'sometimes'/,
    );
    expect(() => resolveOptions({ password_file: 'missing' }, dir)).toThrow(/password file missing/);
  });
});
