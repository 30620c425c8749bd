import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import type { Evaluation } from '@evalhub/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SERVER_PACKAGE_DIR } from '../src/app.js';
import { http, testServer, type TestServer } from './support/harness.js';
import { runCli } from './support/processes.js';

// The real MLflow tracker plugin, loaded by the hub from config (never imported by the server),
// against the real MLflow server of the int project's global setup.
const trackingUri = inject('mlflowTrackingUri');
const prefix = `server-int-${process.pid}-${Date.now()}`;

let s: TestServer;
beforeAll(async () => {
  s = await testServer({
    config: { tracker: 'mlflow', mlflow: { tracking_uri: trackingUri, experiment_prefix: prefix } },
    // As `startServer({ config })` does: plugins resolve from the config's folder, then the server's.
    hubOptions: { resolveFrom: [SERVER_PACKAGE_DIR] },
  });
});
afterAll(async () => {
  await s?.stop();
});

describe('with the MLflow tracker plugin', () => {
  it('records the spec payload as one MLflow run, links it, and proxies MLflow under /mlflow', async () => {
    expect(s.hub.tracker.name).toBe('mlflow');
    const body = readFileSync(join(import.meta.dirname, 'fixtures', 'spec-single-benchmark.json'), 'utf8');
    const created = await http<Evaluation>(s.url, 'POST', '/api/v1/evaluations', {
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect(created.status).toBe(202);
    await s.hub.service.wait(created.body.id);
    await s.hub.service.trackingIdle();
    const e = (await http<Evaluation>(s.url, 'GET', `/api/v1/evaluations/${created.body.id}`)).body;
    expect(e.tracking.state).toBe('synced');
    expect(e.tracking.experiment_name).toBe(`${prefix}_arc-easy-evaluation`);
    expect(e.tracking.links?.run).toContain(e.tracking.run_id!);

    const run = await http(s.url, 'GET', `/mlflow/api/2.0/mlflow/runs/get?run_id=${e.tracking.run_id}`);
    expect(run.status).toBe(200);
    const tags = Object.fromEntries(
      (run.body.run.data.tags as { key: string; value: string }[]).map((t) => [t.key, t.value]),
    );
    expect(tags).toMatchObject({ environment: 'testing', model_family: 'llama-3.1' });
    expect(run.body.run.info.status).toBe('FINISHED');

    const health = await http(s.url, 'GET', '/api/v1/health?details=true');
    expect(health.body.components.tracker).toMatchObject({ status: 'ok', name: 'mlflow' });
  });

  it('evalhub run --wait prints the MLflow run link', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evalhub-cli-mlflow-'));
    const file = join(dir, 'request.json');
    writeFileSync(file, readFileSync(join(import.meta.dirname, 'fixtures', 'spec-multi-provider.json')));
    const result = await runCli(['run', file, '--wait', '--url', s.url]);
    expect(result.code, result.stderr).toBe(0);
    const link = /MLflow run: (\S+)/.exec(result.stdout)?.[1];
    expect(link).toBeDefined();
    const id = /Evaluation (\S+): completed/.exec(result.stdout)![1]!;
    const e = (await http<Evaluation>(s.url, 'GET', `/api/v1/evaluations/${id}`)).body;
    expect(link).toBe(e.tracking.links!.run);
  });
});
