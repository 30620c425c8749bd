import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres, type PostgresServer } from '@evalhub/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresStore } from '../src/postgres-store.js';

// A second real PostgreSQL server, serving TLS with a self-signed certificate for 127.0.0.1.
const dir = mkdtempSync(join(tmpdir(), 'evalhub-pg-tls-'));
const cert = join(dir, 'server.crt');
let tlsServer: PostgresServer;

beforeAll(async () => {
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-keyout', join(dir, 'server.key'), '-out', cert,
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore' }); // prettier-ignore
  tlsServer = await startPostgres({ tls: { certFile: cert, keyFile: join(dir, 'server.key') } });
});
afterAll(async () => {
  await tlsServer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function sslInUse(store: PostgresStore): Promise<boolean> {
  const { rows } = await store.db.query<{ ssl: boolean }>(
    'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
  );
  return rows[0]!.ssl;
}

describe('the PostgreSQL store over TLS', () => {
  it('verifies the server certificate and host name (verify-full) with the given CA', async () => {
    const store = await PostgresStore.open({
      options: { url: tlsServer.url, ssl_mode: 'verify-full', ssl_root_cert_file: cert },
    });
    try {
      expect(await sslInUse(store)).toBe(true);
      expect((await store.health()).detail).toMatch(/sslmode=verify-full/);
    } finally {
      await store.close();
    }
  });

  it('refuses a certificate it cannot verify, and encrypts without verifying on require', async () => {
    await expect(
      PostgresStore.open({ options: { url: tlsServer.url, ssl_mode: 'verify-full', retry_window_ms: 0 } }),
    ).rejects.toThrow(/self[- ]signed certificate/i);
    const store = await PostgresStore.open({ options: { url: `${tlsServer.url}?sslmode=require` } });
    try {
      expect(await sslInUse(store)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
