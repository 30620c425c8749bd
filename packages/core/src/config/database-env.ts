/**
 * Options of the PostgreSQL store (`store: postgres`) from the environment: `EVALHUB_DATABASE_URL`,
 * `EVALHUB_DATABASE_PASSWORD_FILE` and libpq's own variables, so a hub configured for `psql` works
 * as is. Read here because plugins receive options, never `process.env`.
 */
export function databaseOptionsFromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const text = (k: string): string | undefined =>
    env[k] === undefined || env[k] === '' ? undefined : env[k];
  const int = (k: string, scale = 1): number | undefined => {
    const v = text(k);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) * scale : undefined;
  };
  const out: Record<string, unknown> = {
    url: text('EVALHUB_DATABASE_URL'),
    password_file: text('EVALHUB_DATABASE_PASSWORD_FILE'),
    host: text('PGHOST'),
    port: int('PGPORT'),
    database: text('PGDATABASE'),
    user: text('PGUSER'),
    password: text('EVALHUB_DATABASE_PASSWORD_FILE') ? undefined : text('PGPASSWORD'),
    ssl_mode: text('PGSSLMODE'),
    ssl_root_cert_file: text('PGSSLROOTCERT'),
    ssl_cert_file: text('PGSSLCERT'),
    ssl_key_file: text('PGSSLKEY'),
    application_name: text('PGAPPNAME'),
    connect_timeout_ms: int('PGCONNECT_TIMEOUT', 1000),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}
