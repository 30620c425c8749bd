import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHub, createLogger, loadConfig, type Hub } from '@evalhub/core';
import { ScriptedProvider } from '@evalhub/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { freshSchema, server } from './harness.js';

/** This package's folder: the loader finds `@evalhub/store-postgres` in node_modules from here (built). */
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(join(tmpdir(), 'evalhub-pg-plugin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function hubWith(env: Record<string, string>, lines: string[]): Promise<Hub> {
  return createHub({
    config: loadConfig({
      cwd: dir,
      env: { EVALHUB_TRACKER: 'none', EVALHUB_DISCOVER_PLUGINS: 'false', EVALHUB_STORE: 'postgres', ...env },
    }),
    providers: [new ScriptedProvider()],
    resolveFrom: [packageDir],
    logger: createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(l) } }),
  });
}

describe('store: postgres', () => {
  it('is selected by EVALHUB_STORE=postgres with the PG* variables and a password file, and runs an evaluation', async () => {
    const passwordFile = join(dir, 'pgpassword');
    writeFileSync(passwordFile, `${server.password}\n`, { mode: 0o600 });
    const lines: string[] = [];
    const schema = freshSchema('plugin');
    const hub = await hubWith(
      {
        PGHOST: server.host,
        PGPORT: String(server.port),
        PGUSER: server.user,
        PGDATABASE: server.database,
        EVALHUB_DATABASE_PASSWORD_FILE: passwordFile,
      },
      lines,
    );
    try {
      // The schema option comes from the config file in real use; here it is the default one.
      expect(hub.config.store.options).toMatchObject({ host: server.host, password_file: passwordFile });
      expect(hub.store.name).toBe('postgres');
      const result = await hub.evaluate({
        model: { server: 'vllm', name: 'm', url: 'http://127.0.0.1:9/v1' },
        benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted', config: { metrics: { score: 0.5 } } }],
        experiment: { name: schema, tags: { team: 'x' } },
      });
      expect(result.status).toBe('completed');
      expect(
        (await hub.store.listEvaluations({ limit: 10, experiment: schema })).items.map((e) => e.id),
      ).toEqual([result.id]);
      const health = await hub.health();
      expect(health.components.store).toMatchObject({ status: 'ok', name: 'postgres' });
      expect(lines.some((l) => l.includes('PostgreSQL store ready'))).toBe(true);
      expect(lines.join('\n')).not.toContain(server.password);
    } finally {
      await hub.close();
    }
  });

  it('refuses to start with a wrong password and does not repeat it', async () => {
    const lines: string[] = [];
    const url = server.url.replace(encodeURIComponent(server.password), 'not-the-password-0123');
    const err = await hubWith({ EVALHUB_DATABASE_URL: url }, lines).then(
      (h) => h.close().then(() => undefined),
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/store-postgres.*password authentication failed/s);
    expect(err?.message).not.toContain('not-the-password-0123');
    expect(lines.join('\n')).not.toContain('not-the-password-0123');
  });
});
