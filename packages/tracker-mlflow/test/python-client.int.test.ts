import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePython } from '@evalhub/tools';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { MULTI_PROVIDER, ENGINE_METRICS, evaluateAndSync, startHub, type TestHub } from './harness.js';

// MLflow's own Python client (MlflowClient) reads back what our tracker wrote: a reader nobody here wrote.
const trackingUri = inject('mlflowTrackingUri');
const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'check_structure.py');
let t: TestHub;
beforeAll(async () => {
  t = await startHub(trackingUri);
});
afterAll(async () => {
  await t?.close();
});

function runPython(python: string, input: unknown): Promise<string> {
  return new Promise((ok, fail) => {
    const child = execFile(
      python,
      [script],
      { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' } },
      (err, stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : ok(stdout)),
    );
    child.stdin!.end(JSON.stringify(input));
  });
}

it('MlflowClient reads back the spec structure of a multi-provider evaluation', async () => {
  const e = await evaluateAndSync(t.hub, MULTI_PROVIDER);
  const python = await resolvePython();
  const out = await runPython(python, {
    tracking_uri: trackingUri,
    experiment_name: 'eval-hub_comprehensive-evaluation',
    experiment_tags: MULTI_PROVIDER.experiment.tags,
    evaluation_id: e.id,
    run_id: e.tracking.run_id,
    run_status: 'FINISHED',
    model_name: 'meta-llama/llama-3.1-8b',
    benchmarks: ['arc_easy', 'faithfulness'],
    params: {
      'model.name': 'meta-llama/llama-3.1-8b',
      'arc_easy.num_fewshot': '0',
      'faithfulness.dataset_path': './data/test.jsonl',
    },
    metrics: {
      ...Object.fromEntries(Object.entries(ENGINE_METRICS.arc_easy!).map(([k, v]) => [`arc_easy.${k}`, v])),
      'faithfulness.faithfulness': ENGINE_METRICS.faithfulness!.faithfulness,
      'evaluation.benchmarks_completed': 2,
    },
    artifacts: [
      'summary.json',
      'arc_easy/results.json',
      'arc_easy/execution.log',
      'faithfulness/results.json',
      'faithfulness/execution.log',
    ],
  });
  const result = JSON.parse(out.trim().split('\n').pop()!) as {
    ok: boolean;
    checks: { name: string; ok: boolean; detail: string }[];
    run: { status: string; metrics: Record<string, number> };
  };
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result.checks.length).toBeGreaterThanOrEqual(15);
  expect(result.ok).toBe(true);
  expect(result.run.status).toBe('FINISHED');
  expect(result.run.metrics['arc_easy.acc']).toBe(ENGINE_METRICS.arc_easy!.acc);
});
