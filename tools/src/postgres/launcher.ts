import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { appendFile, chmod, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { freePort } from '../mlflow/launcher.js';

/**
 * A real PostgreSQL server for tests and benchmarks: `initdb` into a fresh temp folder, `pg_ctl start`
 * on 127.0.0.1 and a free port, password (SCRAM) authentication on TCP, no Unix socket. The server
 * is controlled with `pg_ctl`, so any process that has this description (a test worker, not only
 * the process that started it) can restart it.
 */
export interface PostgresServerInfo {
  /** `postgres://evalhub:<password>@127.0.0.1:<port>/evalhub` — holds the password: never log it. */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** The cluster's data folder (inside `dir`). */
  dataDir: string;
  /** Temp folder holding the data folder, the log and the password file. */
  dir: string;
  /** Folder of `pg_ctl`, `initdb`, `postgres`. */
  binDir: string;
  /** Unprivileged account the server runs as when this process is root (PostgreSQL refuses root). */
  runAs?: { uid: number; gid: number };
}

export interface PostgresServer extends PostgresServerInfo {
  /** Milliseconds for initdb + start. */
  startupMs: number;
  stop(): Promise<void>;
}

export interface StartPostgresOptions {
  /** Folder with the PostgreSQL binaries; default: EVALHUB_PG_BIN, PATH, then /usr/lib/postgresql/<newest>/bin. */
  binDir?: string;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
  startTimeoutMs?: number;
  /** Serve TLS with this certificate and key (PEM files; copied into the cluster with the right owner). */
  tls?: { certFile: string; keyFile: string };
}

const SEARCH_ROOT = '/usr/lib/postgresql';

/** Finds the folder holding `pg_ctl` and `initdb`, or explains how to install them. */
export function findPostgresBinDir(explicit?: string): string {
  const has = (dir: string): boolean => existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'initdb'));
  // A PATH entry may hold symlinks only (e.g. /usr/local/bin): use the folder they point into,
  // which also has psql and the server's other programs.
  const real = (dir: string): string => dirname(realpathSync(join(dir, 'pg_ctl')));
  const candidates = [explicit, process.env.EVALHUB_PG_BIN].filter((d): d is string => !!d);
  for (const dir of candidates) if (has(dir)) return real(dir);
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && has(dir)) return real(dir);
  if (existsSync(SEARCH_ROOT)) {
    const versions = readdirSync(SEARCH_ROOT)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (has(join(SEARCH_ROOT, v, 'bin'))) return join(SEARCH_ROOT, v, 'bin');
  }
  throw new Error(
    'PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH, in EVALHUB_PG_BIN or under ' +
      `${SEARCH_ROOT}/<version>/bin. Install them (Debian/Ubuntu: apt-get install postgresql) or run tools/postgres/install.sh.`,
  );
}

/** PostgreSQL will not run as root: when we are root, run it as `postgres` (or `nobody`). */
function unprivilegedAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      if (Number.isInteger(uid) && uid > 0) return { uid, gid };
    } catch {
      // no such account
    }
  }
  throw new Error('Running as root, and neither a postgres nor a nobody account exists to run PostgreSQL.');
}

function run(
  file: string,
  args: string[],
  runAs: { uid: number; gid: number } | undefined,
  timeoutMs: number,
): Promise<string> {
  return new Promise((ok, fail) => {
    execFile(
      file,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 4 * 1024 * 1024,
        ...(runAs ?? {}),
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC' },
      },
      (err, stdout, stderr) => {
        if (err) fail(new Error(`${file} ${args[0] ?? ''} failed: ${err.message}\n${stderr}${stdout}`));
        else ok(stdout);
      },
    );
  });
}

function logTail(info: PostgresServerInfo): string {
  try {
    const text = readFileSync(join(info.dir, 'server.log'), 'utf8');
    return text.slice(-4_000);
  } catch {
    return '(no server log)';
  }
}

/** `pg_ctl` for a started server: `restart`, `stop`, `status`… (waits for the operation). */
export async function pgCtl(
  info: PostgresServerInfo,
  action: 'start' | 'stop' | 'restart' | 'status',
  extra: string[] = [],
  timeoutMs = 120_000,
): Promise<string> {
  const args = [action, '-D', info.dataDir, '-w', '-t', String(Math.ceil(timeoutMs / 1000)), ...extra];
  if (action === 'start' || action === 'restart') args.push('-l', join(info.dir, 'server.log'));
  try {
    return await run(join(info.binDir, 'pg_ctl'), args, info.runAs, timeoutMs + 5_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- server log ---\n${logTail(info)}`);
  }
}

/** Stops the server (fast shutdown: open sessions are ended) and starts it again on the same port. */
export async function restartPostgres(info: PostgresServerInfo): Promise<void> {
  await pgCtl(info, 'restart', ['-m', 'fast']);
}

/**
 * Starts a fresh PostgreSQL cluster on 127.0.0.1 and a free port and resolves once it accepts
 * connections. Throws with the server log's tail when it does not start. Call `stop()` when done.
 */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PostgresServer> {
  const started = Date.now();
  const binDir = findPostgresBinDir(opts.binDir);
  const runAs = unprivilegedAccount();
  const dir = await mkdtemp(join(tmpdir(), 'evalhub-pg-'));
  const dataDir = join(dir, 'data');
  const password = randomBytes(18).toString('base64url');
  const pwfile = join(dir, 'pwfile');
  await writeFile(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) {
    chownSync(dir, runAs.uid, runAs.gid);
    chownSync(pwfile, runAs.uid, runAs.gid);
  }
  await chmod(dir, 0o700);
  const user = 'evalhub';
  const database = 'evalhub';
  const timeoutMs = opts.startTimeoutMs ?? 120_000;

  await run(
    join(binDir, 'initdb'),
    [
      '-D',
      dataDir,
      '-U',
      user,
      `--pwfile=${pwfile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      '--locale=C',
      '--no-sync',
    ],
    runAs,
    timeoutMs,
  );
  await rm(pwfile, { force: true });

  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    // Tests, not production: no fsync waits on a shared 2-core machine.
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: 200,
    shared_buffers: '128MB',
    ...opts.settings,
  };
  if (opts.tls) {
    for (const [from, name] of [
      [opts.tls.certFile, 'server.crt'],
      [opts.tls.keyFile, 'server.key'],
    ] as const) {
      const to = join(dataDir, name);
      await copyFile(from, to);
      await chmod(to, 0o600);
      if (runAs) chownSync(to, runAs.uid, runAs.gid);
    }
    Object.assign(settings, { ssl: 'on', ssl_cert_file: 'server.crt', ssl_key_file: 'server.key' });
  }
  const port = await freePort();
  const info: PostgresServerInfo = {
    url: `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    dataDir,
    dir,
    binDir,
    ...(runAs ? { runAs } : {}),
  };
  // In the cluster's own config, so a plain `pg_ctl start` (after a stop in a test) brings it back as it was.
  const conf = Object.entries({ port, ...settings })
    .map(([k, v]) => `${k} = '${v}'`)
    .join('\n');
  await appendFile(join(dataDir, 'postgresql.conf'), `\n# evalhub test server\n${conf}\n`);
  try {
    await pgCtl(info, 'start', [], timeoutMs);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  // The cluster has the `postgres` database; the hub's tests use their own.
  await run(
    join(binDir, 'psql'),
    [
      '-X',
      '-q',
      '-v',
      'ON_ERROR_STOP=1',
      '-d',
      `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
      '-c',
      `CREATE DATABASE ${database}`,
    ],
    undefined,
    timeoutMs,
  ).catch(async (err: unknown) => {
    await pgCtl(info, 'stop', ['-m', 'immediate']).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw err;
  });

  const onExit = (): void => {
    try {
      execFileSync(join(binDir, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate'], {
        stdio: 'ignore',
        ...(runAs ?? {}),
      });
    } catch {
      // already stopped
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('exit', onExit);
      await pgCtl(info, 'stop', ['-m', 'fast']).catch(() => pgCtl(info, 'stop', ['-m', 'immediate']));
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { ...info, startupMs: Date.now() - started, stop };
}
