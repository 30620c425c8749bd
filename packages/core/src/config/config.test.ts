import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { loadConfig } from './config.js';

const tempRoot = mkdtempSync(join(tmpdir(), 'evalhub-test-'));
afterAll(() => rmSync(tempRoot, { recursive: true, force: true }));

const dir = (files: Record<string, string> = {}) => {
  const d = mkdtempSync(join(tempRoot, 'evalhub-config-'));
  for (const [n, c] of Object.entries(files)) writeFileSync(join(d, n), c);
  return d;
};

describe('loadConfig', () => {
  // The MLflow defaults and variables (MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_PREFIX…) are the
  // tracker plugin's own declaration now: packages/tracker-mlflow/src/plugin.test.ts checks them.
  it('defaults to the spec: the MLflow tracker plugin, port 8000, SQLite under .evalhub', () => {
    const d = dir();
    const c = loadConfig({ cwd: d, env: {} });
    expect(c.tracker).toEqual({ name: '@evalhub/tracker-mlflow', options: {} });
    expect(c.trackerExplicit).toBe(false);
    expect(c.server.port).toBe(8000);
    expect(c.store).toEqual({ name: 'sqlite', options: { path: join(d, '.evalhub', 'evalhub.db') } });
  });

  it('keeps plugin sections and the environment for the plugins, without exposing the environment', () => {
    const d = dir({ 'evalhub.config.yaml': 'mlflow:\n  tracking_uri: http://mlflow:5000\n' });
    const c = loadConfig({ cwd: d, env: { SOME_PLUGIN_VARIABLE: 'x' } });
    expect(c.sections).toEqual({ mlflow: { tracking_uri: 'http://mlflow:5000' } });
    expect(c.env.SOME_PLUGIN_VARIABLE).toBe('x');
    expect(JSON.stringify(c)).not.toContain('SOME_PLUGIN_VARIABLE');
  });

  it('resolves short plugin names for the runtime too, and keeps their config-file section', () => {
    const d = dir({ 'evalhub.config.yaml': 'runtime: kubernetes\nkubernetes:\n  namespace: evals\n' });
    const c = loadConfig({ cwd: d, env: {} });
    expect(c.runtime).toEqual({ name: '@evalhub/runtime-kubernetes', options: {} });
    expect(c.sections).toEqual({ kubernetes: { namespace: 'evals' } });
    expect(loadConfig({ cwd: dir(), env: { EVALHUB_RUNTIME: 'kubernetes' } }).runtime.name).toBe(
      '@evalhub/runtime-kubernetes',
    );
    expect(loadConfig({ cwd: dir(), env: {} }).runtime.name).toBe('local');
  });

  it('reads YAML, with env winning over the file', () => {
    const d = dir({
      'evalhub.config.yaml':
        'tracker: jsonl\nmodel_servers:\n  vllm: http://vllm:8000/v1\nevaluation:\n  benchmark_concurrency: 3\n',
    });
    const c = loadConfig({ cwd: d, env: { EVALHUB_BENCHMARK_CONCURRENCY: '5' } });
    expect(c.tracker.name).toBe('jsonl');
    expect(c.modelServers.vllm).toEqual({ url: 'http://vllm:8000/v1' });
    expect(c.evaluation.benchmarkConcurrency).toBe(5);
  });

  it('resolves model servers from EVALHUB_MODEL_SERVERS and per-server variables with API keys', () => {
    const c = loadConfig({
      cwd: dir(),
      env: {
        EVALHUB_MODEL_SERVERS: 'vllm=http://vllm:8000/v1,tgi=http://tgi/v1',
        EVALHUB_MODEL_SERVER_VLLM_API_KEY: 'sk-1',
        EVALHUB_MODEL_SERVER_OPENAI: 'https://api.example/v1',
      },
    });
    expect(c.modelServers).toEqual({
      vllm: { url: 'http://vllm:8000/v1', apiKey: 'sk-1' },
      tgi: { url: 'http://tgi/v1' },
      openai: { url: 'https://api.example/v1' },
    });
  });

  it("reads each server's max_concurrency, the gateway switch and the hub's cache default", () => {
    const d = dir({
      'evalhub.config.yaml':
        'model_servers:\n  vllm: { url: "http://vllm:8000/v1", max_concurrency: 128 }\n' +
        'gateway:\n  enabled: false\n  cache_max_bytes: 1048576\nevaluation:\n  cache: true\n',
    });
    const c = loadConfig({ cwd: d, env: {} });
    expect(c.modelServers.vllm).toEqual({ url: 'http://vllm:8000/v1', maxConcurrency: 128 });
    expect(c.gateway).toEqual({ enabled: false, cacheMaxBytes: 1048576 });
    expect(c.evaluation.cache).toBe(true);
    // unset: the hub decides by its runtime; the cache is off by default
    const defaults = loadConfig({ cwd: dir(), env: {} });
    expect(defaults.gateway).toEqual({ cacheMaxBytes: 1024 ** 3 });
    expect(defaults.evaluation.cache).toBe(false);
    // variables win, whatever their order
    const fromEnv = loadConfig({
      cwd: d,
      env: {
        EVALHUB_MODEL_SERVER_TGI_MAX_CONCURRENCY: '16',
        EVALHUB_MODEL_SERVER_TGI_API_KEY: 'sk-2',
        EVALHUB_MODEL_SERVER_TGI: 'http://tgi/v1',
        EVALHUB_GATEWAY: 'on',
        EVALHUB_CACHE: 'false',
      },
    });
    expect(fromEnv.modelServers.tgi).toEqual({ url: 'http://tgi/v1', apiKey: 'sk-2', maxConcurrency: 16 });
    expect(fromEnv.gateway.enabled).toBe(true);
    expect(fromEnv.evaluation.cache).toBe(false);
    expect(() =>
      loadConfig({
        cwd: dir(),
        env: { EVALHUB_MODEL_SERVER_A: 'http://a/v1', EVALHUB_MODEL_SERVER_A_MAX_CONCURRENCY: '0' },
      }),
    ).toThrow(/EVALHUB_MODEL_SERVER_A_MAX_CONCURRENCY='0' must be a whole number/);
  });

  it('reads the model.url host allow-list (any host by default) and refuses credentials in server URLs', () => {
    expect(loadConfig({ cwd: dir(), env: {} }).modelUrlAllowedHosts).toEqual(['*']);
    const d = dir({
      'evalhub.config.yaml': 'model_url_allowed_hosts: [vllm.internal, "*.models.example:443"]\n',
    });
    expect(loadConfig({ cwd: d, env: {} }).modelUrlAllowedHosts).toEqual([
      'vllm.internal',
      '*.models.example:443',
    ]);
    expect(
      loadConfig({ cwd: d, env: { EVALHUB_MODEL_URL_ALLOWED_HOSTS: 'a.example, 127.0.0.1:8000' } })
        .modelUrlAllowedHosts,
    ).toEqual(['a.example', '127.0.0.1:8000']);
    for (const url of ['http://u:pw@vllm:8000/v1', 'http://vllm:8000/v1?api_key=sk-9']) {
      const load = () => loadConfig({ cwd: dir(), env: { EVALHUB_MODEL_SERVER_VLLM: url } });
      expect(load).toThrow(/EVALHUB_MODEL_SERVER_VLLM_API_KEY/);
      expect(load).not.toThrow(/pw|sk-9/);
    }
  });

  it('reads the lease length of replicas (15 s by default), the environment winning, and refuses one too short', () => {
    expect(loadConfig({ cwd: dir(), env: {} }).evaluation.leaseMs).toBe(15_000);
    const d = dir({ 'evalhub.config.yaml': 'evaluation:\n  lease_ms: 6000\n' });
    expect(loadConfig({ cwd: d, env: {} }).evaluation.leaseMs).toBe(6_000);
    expect(loadConfig({ cwd: d, env: { EVALHUB_LEASE_MS: '9000' } }).evaluation.leaseMs).toBe(9_000);
    expect(() => loadConfig({ cwd: d, env: { EVALHUB_LEASE_MS: '100' } })).toThrow(/lease_ms.*at least 500/);
    expect(() =>
      loadConfig({ cwd: dir({ 'evalhub.config.json': '{"evaluation":{"lease_ms":10}}' }), env: {} }),
    ).toThrow(ConfigError);
  });

  it('rejects an invalid file with the pointer', () => {
    const d = dir({ 'evalhub.config.json': JSON.stringify({ server: { port: 'eighty' }, trackr: 'none' }) });
    expect(() => loadConfig({ cwd: d, env: {} })).toThrow(ConfigError);
    expect(() => loadConfig({ cwd: d, env: {} })).toThrow(
      /\/trackr 'trackr' is not a known field.*\/server\/port Must be integer/,
    );
  });

  it('rejects malformed JSON and bad env values clearly', () => {
    expect(() => loadConfig({ cwd: dir({ 'evalhub.config.json': '{"a":' }), env: {} })).toThrow(
      /not valid JSON/,
    );
    expect(() => loadConfig({ cwd: dir(), env: { EVALHUB_PORT: 'x' } })).toThrow(
      /EVALHUB_PORT='x' is not a number/,
    );
    expect(() => loadConfig({ cwd: dir(), env: { EVALHUB_MODEL_SERVER_VLLM: 'vllm:8000' } })).toThrow(
      /must start with http/,
    );
  });
});
