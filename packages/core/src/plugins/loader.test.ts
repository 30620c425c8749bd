import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { PluginError } from '../errors.js';
import { createHub } from '../hub.js';
import { silentLogger } from '../logging.js';

const tempRoot = mkdtempSync(join(tmpdir(), 'evalhub-test-'));
afterAll(() => rmSync(tempRoot, { recursive: true, force: true }));

/**
 * Plugin packages written to a temp folder's node_modules, as npm would install them. They stamp the
 * definePlugin brand themselves (a registered symbol), exactly as a plugin built against another copy
 * of @evalhub/core would look to this one.
 */
function project(
  packages: Record<string, { pkg?: Record<string, unknown>; code: string }>,
  config?: Record<string, unknown>,
): string {
  const dir = mkdtempSync(join(tempRoot, 'evalhub-plugins-'));
  for (const [name, p] of Object.entries(packages)) {
    const pdir = join(dir, 'node_modules', name);
    mkdirSync(pdir, { recursive: true });
    writeFileSync(
      join(pdir, 'package.json'),
      JSON.stringify({ name, version: '1.0.0', type: 'module', exports: { '.': './index.js' }, ...p.pkg }),
    );
    writeFileSync(join(pdir, 'index.js'), p.code);
  }
  if (config) writeFileSync(join(dir, 'evalhub.config.json'), JSON.stringify(config));
  return dir;
}

const provider = (id: string, extra = '') => `
const BRAND = Symbol.for('evalhub.plugin.v1');
export default {
  name: 'x', kind: 'provider', apiVersion: 1, [BRAND]: true, ${extra}
  register(ctx, options) {
    ctx.addProvider({
      describe: () => ({ id: ${JSON.stringify(id)}, name: 'P', benchmarks: [{ id: 'b', name: 'b', category: 'c', metrics: ['m'] }] }),
      run: async () => ({ metrics: { m: options.value ?? 1 } }),
    });
  },
};`;

async function start(dir: string, env: Record<string, string> = {}) {
  return createHub({
    config: loadConfig({ cwd: dir, env: { EVALHUB_TRACKER: 'none', EVALHUB_STORE: 'memory', ...env } }),
    logger: silentLogger(),
  });
}

async function failure(dir: string, env: Record<string, string> = {}): Promise<PluginError> {
  const err = await start(dir, env).then(
    async (h) => {
      await h.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginError);
  return err as PluginError;
}

describe('plugin loader', () => {
  it('loads a configured plugin by package name with its options', async () => {
    const dir = project(
      { 'evalhub-provider-good': { code: provider('good') } },
      { plugins: [{ name: 'evalhub-provider-good', options: { value: 7 } }], discover_plugins: false },
    );
    const h = await start(dir);
    try {
      expect(h.providers.ids()).toEqual(['good']);
      const e = await h.evaluate({
        model: { server: 's', name: 'm', url: 'http://127.0.0.1:9/v1' },
        benchmarks: [{ benchmark_id: 'b', provider_id: 'good' }],
      });
      expect(e.benchmarks[0]!.results!.metrics).toEqual({ m: 7 });
    } finally {
      await h.close();
    }
  });

  it('discovers installed packages with an "evalhub" field', async () => {
    const dir = project(
      {
        '@acme/evalhub-found': { pkg: { evalhub: { kind: 'provider' } }, code: provider('found') },
        'not-a-plugin': { code: 'export default {}' },
      },
      { plugin_options: { '@acme/evalhub-found': { value: 3 } } },
    );
    const h = await start(dir);
    try {
      expect(h.providers.ids()).toEqual(['found']);
      const e = await h.evaluate({
        model: { server: 's', name: 'm', url: 'http://127.0.0.1:9/v1' },
        benchmarks: [{ benchmark_id: 'b', provider_id: 'found' }],
      });
      expect(e.benchmarks[0]!.results!.metrics).toEqual({ m: 3 });
      expect(h.plugins.map((p) => p.name)).toContain('@acme/evalhub-found');
    } finally {
      await h.close();
    }
  });

  it('refuses to start when a configured plugin is not installed, naming it and the fix', async () => {
    const err = await failure(project({}, { plugins: ['evalhub-provider-missing'] }));
    expect(err.message).toMatch(/'evalhub-provider-missing' is not installed/);
    expect(err.message).toMatch(/npm install evalhub-provider-missing/);
    expect(err.code).toBe('plugin_not_installed');
  });

  it('refuses a module without the definePlugin brand', async () => {
    const err = await failure(
      project(
        {
          plain: { code: "export default { name: 'plain', kind: 'provider', apiVersion: 1, register() {} }" },
        },
        { plugins: ['plain'] },
      ),
    );
    expect(err.message).toMatch(/'plain' is not an Eval Hub plugin.*definePlugin/);
  });

  it('refuses another plugin API version', async () => {
    const code = provider('v2').replace('apiVersion: 1', 'apiVersion: 2');
    const err = await failure(project({ v2: { code } }, { plugins: ['v2'] }));
    expect(err.message).toMatch(/targets plugin API v2, but this hub implements v1/);
  });

  it('refuses invalid options with the pointer', async () => {
    const code = provider(
      'opts',
      "optionsSchema: { type: 'object', properties: { value: { type: 'number' } }, additionalProperties: false },",
    );
    const err = await failure(
      project({ opts: { code } }, { plugins: [{ name: 'opts', options: { value: 'high' } }] }),
    );
    expect(err.message).toMatch(/Options for plugin 'opts' are invalid: \/value Must be number/);
  });

  it('reports a plugin whose register throws', async () => {
    const code =
      "export default { name: 'boom', kind: 'provider', apiVersion: 1, [Symbol.for('evalhub.plugin.v1')]: true, register() { throw new Error('no python found'); } }";
    const err = await failure(project({ boom: { code } }, { plugins: ['boom'] }));
    expect(err.message).toMatch(/'boom' failed to register: no python found/);
  });

  it('refuses a provider plugin configured as the tracker', async () => {
    const err = await failure(project({ prov: { code: provider('prov') } }), { EVALHUB_TRACKER: 'prov' });
    expect(err.message).toMatch(/'prov' is a provider plugin, but it is configured as the tracker/);
  });

  it('refuses a module that fails to import', async () => {
    const err = await failure(project({ broken: { code: 'export default (' } }, { plugins: ['broken'] }));
    expect(err.message).toMatch(/'broken' failed to load/);
  });

  it('refuses two providers with the same id', async () => {
    const dir = project(
      { a: { code: provider('same') }, b: { code: provider('same') } },
      { plugins: ['a', 'b'] },
    );
    await expect(start(dir)).rejects.toThrow(/Two providers claim the id 'same'/);
  });

  it('falls back to no tracking when the default MLflow tracker is not installed, but not when chosen explicitly', async () => {
    const dir = project({});
    const h = await createHub({
      config: loadConfig({ cwd: dir, env: { EVALHUB_STORE: 'memory' } }),
      logger: silentLogger(),
    });
    try {
      expect(h.tracker.name).toBe('none');
    } finally {
      await h.close();
    }
    const err = await failure(project({}), { EVALHUB_TRACKER: 'evalhub-tracker-nowhere' });
    expect(err.message).toMatch(/not installed/);
  });
});
