import { loadConfig, resolvePluginOptions } from '@evalhub/core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mlflowTrackerPlugin } from './plugin.js';
import { MlflowTracker } from './tracker/mlflow-tracker.js';

const tempRoot = mkdtempSync(join(tmpdir(), 'evalhub-test-'));
afterAll(() => rmSync(tempRoot, { recursive: true, force: true }));

/** The options the hub registers the plugin with, for a config read from `files` and `env`. */
function hubOptions(env: Record<string, string>, files: Record<string, string> = {}) {
  const d = mkdtempSync(join(tempRoot, 'evalhub-config-'));
  for (const [n, c] of Object.entries(files)) writeFileSync(join(d, n), c);
  const c = loadConfig({ cwd: d, env });
  expect(c.tracker.name).toBe('@evalhub/tracker-mlflow');
  return resolvePluginOptions(mlflowTrackerPlugin, {
    env: c.env,
    sections: c.sections,
    explicit: c.tracker.options,
  });
}

// These assertions were core's config tests before the MLflow settings moved into this plugin.
describe('the MLflow tracker plugin reads its options as the spec says', () => {
  it('defaults to the spec: MLflow at localhost:5000, prefix eval-hub', () => {
    expect(hubOptions({})).toEqual({ tracking_uri: 'http://localhost:5000', experiment_prefix: 'eval-hub' });
  });

  it('reads the spec env vars and MLflow client credentials', () => {
    expect(
      hubOptions({
        MLFLOW_TRACKING_URI: 'http://mlflow-service:5000',
        MLFLOW_EXPERIMENT_PREFIX: 'production-eval',
        MLFLOW_TRACKING_TOKEN: 't0k',
        MLFLOW_TRACKING_INSECURE_TLS: 'true',
      }),
    ).toMatchObject({
      tracking_uri: 'http://mlflow-service:5000',
      experiment_prefix: 'production-eval',
      token: 't0k',
      insecure_tls: true,
    });
  });

  it('reads the mlflow: section of the config file, the environment winning over it', () => {
    const files = {
      'evalhub.config.yaml': 'mlflow:\n  tracking_uri: http://from-file:5000\n  experiment_prefix: team\n',
    };
    expect(hubOptions({}, files)).toEqual({
      tracking_uri: 'http://from-file:5000',
      experiment_prefix: 'team',
    });
    expect(hubOptions({ MLFLOW_TRACKING_URI: 'http://from-env:5000' }, files)).toEqual({
      tracking_uri: 'http://from-env:5000',
      experiment_prefix: 'team',
    });
  });
});

describe('max_concurrent_requests bounds the requests in flight and the evaluations the outbox delivers', () => {
  const tracker = (files: Record<string, string> = {}) =>
    new MlflowTracker({ options: hubOptions({}, files), hubVersion: 'test' });

  it('defaults to 4, sized for a default mlflow server', async () => {
    const t = tracker();
    expect(t.concurrency).toBe(4);
    expect(t.client.http.gate.limit).toBe(4);
    await t.client.close();
  });

  it('takes the configured value from the mlflow: section', async () => {
    const t = tracker({ 'evalhub.config.yaml': 'mlflow:\n  max_concurrent_requests: 2\n' });
    expect(t.concurrency).toBe(2);
    expect(t.client.http.gate.limit).toBe(2);
    await t.client.close();
  });
});
