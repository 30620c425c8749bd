import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/**
 * The published shape of the packages: `npm pack` core, server, the MLflow tracker and the RAGAS
 * provider, install the tarballs into an empty project (no workspace, no sources), then start the
 * installed `evalhub` bin and check that it loads the plugins from the tarballs, is healthy against
 * the real MLflow server, and that a TypeScript consumer type-checks against the shipped `.d.ts`.
 */

const execFileAsync = promisify(execFile);

/** execFile that puts the command's output in the error, so a failing step explains itself. */
async function run(
  file: string,
  args: string[],
  options: Parameters<typeof execFileAsync>[2] = {},
): Promise<{ stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, {
      maxBuffer: 16 * 1024 * 1024,
      ...options,
      encoding: 'utf8',
    });
    return { stdout: String(stdout), stderr: String(stderr) };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`.trim(), { cause: err });
  }
}
const root = join(import.meta.dirname, '..', '..');
const PACKAGES = ['@evalhub/core', '@evalhub/server', '@evalhub/tracker-mlflow', '@evalhub/provider-ragas'];

/** Environment without the caller's hub and MLflow settings, so only the test's config counts. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(EVALHUB_|MLFLOW_)/.test(k)));
}

let work: string;
let project: string;
let server: ChildProcess | undefined;
let url: string;
let serverLog = '';

async function startInstalledServer(): Promise<string> {
  const child = spawn(
    join(project, 'node_modules', '.bin', 'evalhub'),
    ['serve', '--port', '0', '--host', '127.0.0.1', '--json'],
    {
      cwd: project,
      env: cleanEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  server = child;
  child.stderr.on('data', (d: Buffer) => (serverLog += d.toString()));
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null): void =>
      reject(new Error(`evalhub serve exited (${code}) before listening:\n${serverLog}`));
    child.once('exit', onExit);
    child.once('error', reject);
    // stdout carries the pino log lines and, once listening, the `--json` line {url, port}.
    createInterface({ input: child.stdout }).on('line', (line) => {
      serverLog += `${line}\n`;
      try {
        const msg = JSON.parse(line) as { url?: string; port?: number; level?: number };
        if (msg.level === undefined && msg.url && msg.port) {
          child.off('exit', onExit);
          resolve(msg.url);
        }
      } catch {
        // not JSON: keep it in the log
      }
    });
  });
}

describe('packed tarballs installed into an empty project', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'evalhub-pack-'));
    const tarballs = join(work, 'tarballs');
    project = join(work, 'project');
    mkdirSync(tarballs);
    mkdirSync(project);

    // Incremental: a no-op when `npm test` has just built everything.
    const projects = PACKAGES.map((p) => join('packages', p.replace('@evalhub/', '')));
    await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', ...projects], {
      cwd: root,
    });
    await run(
      'npm',
      ['pack', '--silent', '--pack-destination', tarballs, ...PACKAGES.flatMap((p) => ['-w', p])],
      { cwd: root },
    );
    const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz'));
    expect(files).toHaveLength(PACKAGES.length);

    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify(
        {
          name: 'evalhub-pack-install',
          private: true,
          type: 'module',
          allowScripts: { 'better-sqlite3': true },
        },
        null,
        2,
      ),
    );
    // Third-party dependencies come from the registry (or npm's cache); ours only from the tarballs.
    // better-sqlite3 may compile from source here, hence the long timeout of this hook.
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--omit=dev',
        ...files.map((f) => join(tarballs, f)),
      ],
      {
        cwd: project,
        env: cleanEnv(),
        maxBuffer: 16 * 1024 * 1024,
      },
    );

    const { stdout: python } = await run(join(root, 'tools', 'python', 'setup-env.sh'), [], { cwd: root });
    writeFileSync(
      join(project, 'evalhub.config.yaml'),
      [
        'tracker: mlflow',
        'data_dir: ./data',
        `python: ${python.trim()}`,
        'mlflow:',
        `  tracking_uri: ${inject('mlflowTrackingUri')}`,
        '  experiment_prefix: pack-install',
        '',
      ].join('\n'),
    );
    url = await startInstalledServer();
  }, 900_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('install only the tarballs for our packages (no workspace links)', () => {
    for (const p of PACKAGES) {
      const dir = join(project, 'node_modules', ...p.split('/'));
      expect(readdirSync(dir)).toContain('dist');
      expect(readdirSync(dir)).not.toContain('test');
    }
  });

  it('the installed bin serves the API with the installed plugins', async () => {
    const res = await fetch(`${url}/api/v1/providers`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      items: { id: string; package?: string; benchmarks: { id: string }[] }[];
    };
    const ragas = body.items.find((p) => p.id === 'ragas');
    expect(ragas, serverLog).toBeDefined();
    expect(ragas!.package).toBe('@evalhub/provider-ragas');
    expect(ragas!.benchmarks.map((b) => b.id)).toContain('faithfulness');
  });

  it('is healthy: SQLite store, the MLflow tracker from its tarball, the provider with its Python runner', async () => {
    // The public health answers the status only; the components are the details view.
    const res = await fetch(`${url}/api/v1/health?details=true`);
    expect(res.status).toBe(200);
    const health = (await res.json()) as {
      status: string;
      components: Record<string, { status: string; name: string }>;
    };
    expect(health.components.store).toMatchObject({ status: 'ok', name: 'sqlite' });
    expect(health.components.tracker).toMatchObject({ status: 'ok', name: 'mlflow' });
    expect(health.components['provider:ragas']).toMatchObject({ status: 'ok' });
    expect(health.status, JSON.stringify(health)).toBe('ok');
  });

  it('the installed CLI talks to the installed server', async () => {
    const { stdout } = await run(
      join(project, 'node_modules', '.bin', 'evalhub'),
      ['providers', '--json', '--url', url],
      { cwd: project, env: cleanEnv() },
    );
    const body = JSON.parse(stdout) as { items: { id: string }[] };
    expect(body.items.map((p) => p.id)).toContain('ragas');
  });

  it('ships type declarations a strict TypeScript consumer can compile against', async () => {
    writeFileSync(
      join(project, 'consumer.ts'),
      [
        "import { definePlugin, loadConfig, type Evaluation } from '@evalhub/core';",
        "import { startServer } from '@evalhub/server';",
        "import mlflow from '@evalhub/tracker-mlflow';",
        "import ragas from '@evalhub/provider-ragas';",
        'const none: Evaluation | undefined = undefined;',
        'export const all = [definePlugin, loadConfig, startServer, mlflow.name, ragas.name, none];',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          // A consumer brings its own @types/node; borrow the workspace's.
          typeRoots: [join(root, 'node_modules', '@types')],
          types: ['node'],
          // Upstream conflict, not ours: express 5 (under the MCP SDK) hoists content-disposition 1.x,
          // whose bundled types lack the `Options` that @types/koa imports from it. Point that one
          // import at @types/content-disposition, as a consumer of both would.
          baseUrl: '.',
          paths: {
            'content-disposition': [
              'node_modules/@types/content-disposition',
              'node_modules/@types/koa/node_modules/@types/content-disposition',
            ],
          },
        },
        files: ['consumer.ts'],
      }),
    );
    const result = await run(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project],
      { cwd: project },
    ).then(
      () => ({ ok: true, out: '' }),
      (err: { stdout?: string }) => ({ ok: false, out: err.stdout ?? String(err) }),
    );
    expect(result.out).toBe('');
    expect(result.ok).toBe(true);
  });
});

/** `^x.y.z` (npm caret, 0.x aware) or an exact version; enough for our internal ranges. */
function satisfies(version: string, range: string): boolean {
  const parse = (v: string): number[] => v.split('.').map(Number);
  const [a, b, c] = parse(version);
  if (!range.startsWith('^')) return version === range;
  const [ra, rb, rc] = parse(range.slice(1));
  const atLeast = a! > ra! || (a === ra && (b! > rb! || (b === rb && c! >= rc!)));
  if (!atLeast) return false;
  if (ra! > 0) return a === ra;
  if (rb! > 0) return a === 0 && b === rb;
  return a === 0 && b === 0 && c === rc;
}

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

describe('release flow dry run (changesets)', () => {
  let copy: string;
  afterAll(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
  });

  it('`changeset status` and `changeset version` on a copy of the committed tree keep internal ranges satisfied', async () => {
    copy = mkdtempSync(join(tmpdir(), 'evalhub-release-'));
    // The committed tree (what a release would version), without touching the checkout, with the
    // checkout's changesets (the ones `status` below reads).
    await run(
      'bash',
      ['-c', `git archive HEAD | tar -x -C "${copy}" && cp -R .changeset/. "${copy}/.changeset/"`],
      { cwd: root },
    );
    const changeset = join(root, 'node_modules', '.bin', 'changeset');
    // `status` needs git (it compares with the base branch): run it in the checkout, read-only.
    const statusFile = join(copy, 'status.json');
    await run(changeset, ['status', '--output', statusFile], { cwd: root });
    const status = JSON.parse(readFileSync(statusFile, 'utf8')) as {
      releases: { name: string; type: string; newVersion: string }[];
    };
    // 'none': private or ignored packages that changesets lists without versioning them.
    const releases = status.releases.filter((r) => r.type !== 'none');
    const pending = readdirSync(join(copy, '.changeset')).filter(
      (f) => f.endsWith('.md') && f !== 'README.md',
    );
    if (pending.length === 0) {
      expect(releases).toEqual([]);
      return;
    }
    expect(releases.length).toBeGreaterThan(0);

    await run(changeset, ['version'], { cwd: copy });
    expect(
      readdirSync(join(copy, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md'),
    ).toEqual([]);
    const packages = new Map<string, { dir: string; pkg: PackageJson }>();
    const dirs = [
      'tools',
      ...['packages', 'examples'].flatMap((g) => readdirSync(join(copy, g)).map((d) => join(g, d))),
    ];
    for (const d of dirs) {
      const pkg = JSON.parse(readFileSync(join(copy, d, 'package.json'), 'utf8')) as PackageJson;
      packages.set(pkg.name, { dir: join(copy, d), pkg });
    }
    for (const r of releases) {
      const entry = packages.get(r.name);
      expect(entry, r.name).toBeDefined();
      expect(entry!.pkg.version, r.name).toBe(r.newVersion);
      expect(readFileSync(join(entry!.dir, 'CHANGELOG.md'), 'utf8')).toContain(`## ${r.newVersion}`);
    }
    // Every internal dependency and peer range must accept the version it will be published with.
    for (const { pkg } of packages.values()) {
      for (const deps of [pkg.dependencies, pkg.peerDependencies]) {
        for (const [name, range] of Object.entries(deps ?? {})) {
          const target = packages.get(name);
          if (!target) continue;
          expect(
            satisfies(target.pkg.version, range),
            `${pkg.name} wants ${name}@${range}, release is ${target.pkg.version}`,
          ).toBe(true);
        }
      }
    }
  });
});
