import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Evaluation } from '@evalhub/core';
import { resolvePython, runVenvScript } from '@evalhub/tools';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SERVER_PACKAGE_DIR } from '../src/app.js';
import { http, testServer, type TestServer } from './support/harness.js';

// eval-hub's own Python SDK and CLI (PyPI eval-hub-sdk[client], pinned in
// tools/python/requirements-compat.txt, in their own venv), unmodified, against the real server on a
// free port: real lm-evaluation-harness through the lm-eval plugin, the fixture model server (a
// deterministic vLLM stand-in: model weights cannot ship in tests) and the real MLflow server of the
// global setup. Plugins load from their builds, as in `npm test` (which builds first).
const root = join(import.meta.dirname, '..', '..', '..');
const trackingUri = inject('mlflowTrackingUri');
const fixtureUrl = inject('fixtureModelUrl');
const prefix = `compat-${process.pid}-${Date.now()}`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: root, env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 1_200_000 },
      (err, stdout, stderr) =>
        resolve({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
  });
}

let s: TestServer;
let sdkPython: string;
let python: string;
let home: string;
beforeAll(async () => {
  [sdkPython, python] = await Promise.all([
    runVenvScript('tools/python/setup-compat-env.sh'),
    resolvePython(),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'evalhub-compat-'));
  home = join(dir, 'home');
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(home);
  copyFileSync(join(root, 'tools', 'demo', 'data', 'arc_easy.jsonl'), join(dir, 'data', 'arc_easy.jsonl'));
  s = await testServer({
    dir,
    config: {
      tracker: 'mlflow',
      mlflow: { tracking_uri: trackingUri, experiment_prefix: prefix },
      python,
      data_root: dir,
      plugins: [
        {
          name: '@evalhub/provider-lmeval',
          options: { task_data: { arc_easy: 'data/arc_easy.jsonl' } },
        },
      ],
      model_servers: { fixture: `${fixtureUrl}/v1` },
    },
    hubOptions: { providers: [], resolveFrom: [SERVER_PACKAGE_DIR] },
  });
});
afterAll(async () => {
  await s?.stop();
  if (s?.dir) rmSync(s.dir, { recursive: true, force: true });
});

describe("eval-hub's unmodified Python SDK", () => {
  it('runs the whole job life cycle, and MLflow and our own API agree with what it saw', async () => {
    const flow = await run(sdkPython, [
      join(import.meta.dirname, 'fixtures', 'eval_hub_sdk_flow.py'),
      s.url,
      `${fixtureUrl}/v1`,
      'fixture',
    ]);
    expect(flow.code, flow.stderr.slice(-4000)).toBe(0);
    const out = JSON.parse(flow.stdout) as Record<string, any>;

    expect(out.health.status).toBe('ok'); // our health at the root; the CLI test uses /eval-hub
    expect(out.providers).toEqual(['lm_evaluation_harness']);
    expect(out.benchmarks).toContainEqual({ id: 'arc_easy', category: expect.any(String) });
    expect(out.collection).toMatchObject({ category: 'reasoning', weight: 2, listed: true });
    expect(out.collections_before).not.toContain(out.collection.id);

    expect(['pending', 'running']).toContain(out.submitted.state);
    expect(out.submitted.message).toContain("'queue' 'gpu-queue' has no meaning here");
    const c = out.completed;
    expect(c.state).toBe('completed');
    expect(c.benchmark_status).toBe('completed');
    expect(typeof c.metrics.acc, JSON.stringify(c.metrics)).toBe('number');
    expect(c.mlflow_run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(c.experiment_id).toBeTruthy();
    expect(out.logs).toContain(
      '=== benchmark_index=0 benchmark_id=arc_easy provider_id=lm_evaluation_harness ===',
    );
    expect(out.benchmark_logs).toContain('benchmark_index=0');
    expect(out.completed_ids).toContain(out.submitted.id);
    expect(out.running_ids_before).not.toContain(out.submitted.id);

    expect(out.slow_state_before_cancel).toBe('running');
    expect(out.cancel_returned).toBe(true);
    expect(out.cancelled_effective_state).toBe('cancelled');
    expect(out.cancelled_state).toBe('cancelled');
    expect(out.errors).toMatchObject({ unknown: 'JobNotFoundError', finished: 'JobCanNotBeCancelledError' });
    expect(out.errors.finished_reason).toContain('already finished');
    expect(out.hard_delete_returned).toBe(true);
    expect(out.after_hard_delete).toBe(404);
    expect(out.hard_delete_again).toBe('JobNotFoundError');

    // The same job through our own API: one evaluation, two views.
    const e = (await http<Evaluation>(s.url, 'GET', `/api/v1/evaluations/${out.submitted.id}`)).body;
    expect(e.status).toBe('completed');
    expect(e.tracking.run_id).toBe(c.mlflow_run_id);
    expect(e.benchmarks[0]!.results!.metrics).toEqual(c.metrics);
    expect(e.experiment!.name).toBe('sdk-compat');
    expect(e.experiment!.tags).toMatchObject({ team: 'compat', 'eval_hub.job_name': 'sdk-smoke' });
    expect(JSON.parse(e.experiment!.tags!['eval_hub.job']!)).toMatchObject({
      description: 'submitted by the eval-hub SDK',
      tags: ['compat'],
      benchmarks: [{ primary_score: { metric: 'acc' }, pass_criteria: { threshold: 0 } }],
    });
    expect((await http(s.url, 'GET', `/api/v1/evaluations/${out.submitted.id}`)).status).toBe(200);

    // The MLflow run, read back with MLflow's own Python client.
    await s.hub.service.trackingIdle();
    const read = await run(python, [
      join(import.meta.dirname, 'fixtures', 'mlflow_read_run.py'),
      trackingUri,
      c.mlflow_run_id as string,
    ]);
    expect(read.code, read.stderr.slice(-3000)).toBe(0);
    const mlflow = JSON.parse(read.stdout) as Record<string, any>;
    expect(mlflow.experiment_name).toBe(`${prefix}_sdk-compat`);
    expect(mlflow.runs_in_experiment).toBe(1);
    expect(mlflow.status).toBe('FINISHED');
    expect(mlflow.metrics['arc_easy.acc']).toBeCloseTo(c.metrics.acc as number, 10);
    expect(mlflow.tags).toMatchObject({ team: 'compat', 'eval_hub.job_name': 'sdk-smoke' });
  });

  it('its CLI: health (under /eval-hub), providers, a job run to completion, results, logs', async () => {
    const env = { HOME: home, EVALHUB_CONFIG: join(home, 'evalhub.yaml') };
    const cli = join(sdkPython, '..', 'evalhub');
    const base = ['--base-url', `${s.url}/eval-hub`];
    const health = await run(cli, [...base, 'health'], env);
    expect(health.code, health.stdout + health.stderr).toBe(0);
    expect(health.stdout).toContain('EvalHub service: healthy');
    // At the root our own health answers 'ok', which their CLI takes for unhealthy (documented).
    expect((await run(cli, ['--base-url', s.url, 'health'], env)).code).toBe(1);

    const providers = await run(cli, [...base, 'providers', 'list', '--format', 'json'], env);
    expect(providers.code, providers.stderr).toBe(0);
    expect(providers.stdout).toContain('lm_evaluation_harness');

    const started = await run(
      cli,
      [
        ...base,
        'eval',
        'run',
        '--name',
        'cli-smoke',
        '--model-url',
        `${fixtureUrl}/v1`,
        '--model-name',
        'fixture',
        '--provider',
        'lm_evaluation_harness',
        '--benchmark',
        'arc_easy',
        '--param',
        'limit=3',
        '--experiment',
        'cli-compat',
        '--wait',
        '--poll-interval',
        '1',
        '--format',
        'json',
      ],
      env,
    );
    expect(started.code, started.stdout + started.stderr).toBe(0);
    const id =
      /"id":\s*"([0-9a-f-]{36})"/.exec(started.stdout)?.[1] ?? /([0-9a-f-]{36})/.exec(started.stdout)?.[1];
    expect(id, started.stdout).toBeDefined();
    const e = (await http<Evaluation>(s.url, 'GET', `/api/v1/evaluations/${id}`)).body;
    expect(e.status).toBe('completed');
    expect(e.benchmarks[0]!.config).toMatchObject({ limit: 3 });

    const results = await run(cli, [...base, 'eval', 'results', id!, '--format', 'json'], env);
    expect(results.code, results.stderr).toBe(0);
    expect(typeof e.benchmarks[0]!.results!.metrics.acc).toBe('number');
    expect(JSON.parse(results.stdout)[0].metrics.acc).toBe(e.benchmarks[0]!.results!.metrics.acc);
    const logs = await run(cli, [...base, 'eval', 'logs', id!], env);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('benchmark_id=arc_easy');
    // Cancelling a finished job: their CLI reports the 409 and exits non-zero.
    const cancel = await run(cli, [...base, 'eval', 'cancel', id!, '--yes'], env);
    expect(cancel.code).not.toBe(0);
    expect(cancel.stdout + cancel.stderr).toMatch(/cannot be cancelled|already finished|409/i);
  });
});
