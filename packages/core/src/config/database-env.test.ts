import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { databaseOptionsFromEnv } from './database-env.js';

describe('PostgreSQL store options from the environment', () => {
  it('maps EVALHUB_STORE=postgres to the plugin with EVALHUB_DATABASE_URL and the PG* variables', () => {
    const config = loadConfig({
      cwd: '/nonexistent',
      env: {
        EVALHUB_STORE: 'postgres',
        EVALHUB_DATABASE_URL: 'postgres://hub:secret@db:5432/evalhub',
        PGSSLMODE: 'verify-full',
        PGSSLROOTCERT: '/etc/ca.pem',
        PGCONNECT_TIMEOUT: '5',
      },
    });
    expect(config.store).toEqual({
      name: '@evalhub/store-postgres',
      options: {
        url: 'postgres://hub:secret@db:5432/evalhub',
        ssl_mode: 'verify-full',
        ssl_root_cert_file: '/etc/ca.pem',
        connect_timeout_ms: 5000,
      },
    });
  });

  it('lets a password file win over PGPASSWORD and leaves other stores alone', () => {
    expect(
      databaseOptionsFromEnv({
        PGPASSWORD: 'pw',
        EVALHUB_DATABASE_PASSWORD_FILE: '/run/pw',
        PGHOST: 'h',
        PGPORT: '6432',
      }),
    ).toEqual({ password_file: '/run/pw', host: 'h', port: 6432 });
    expect(loadConfig({ cwd: '/nonexistent', env: { PGHOST: 'h' } }).store.name).toBe('sqlite');
  });
});
