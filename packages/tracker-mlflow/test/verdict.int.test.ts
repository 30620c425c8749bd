import { execFile } from 'node:child_process';
import { resolvePython } from '@evalhub/tools';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { ENGINE_METRICS, MULTI_PROVIDER, evaluateAndSync, startHub, type TestHub } from './harness.js';

// The verdict in MLflow, read back by MLflow's own Python client (a reader nobody here wrote).
const trackingUri = inject('mlflowTrackingUri');
let t: TestHub;
beforeAll(async () => {
  t = await startHub(trackingUri);
});
afterAll(async () => {
  await t?.close();
});

const READ_RUN = `
import json, sys
from mlflow.tracking import MlflowClient
want = json.load(sys.stdin)
client = MlflowClient(tracking_uri=want["tracking_uri"])
run = client.get_run(want["run_id"])
names = [f.path for f in client.list_artifacts(want["run_id"])]
comparison = None
if "comparison.md" in names:
    with open(client.download_artifacts(want["run_id"], "comparison.md"), encoding="utf-8") as f:
        comparison = f.read()
print(json.dumps({"tags": dict(run.data.tags), "metrics": dict(run.data.metrics), "comparison": comparison}))
`;

interface ReadBack {
  tags: Record<string, string>;
  metrics: Record<string, number>;
  comparison: string | null;
}

async function readRun(runId: string): Promise<ReadBack> {
  const python = await resolvePython();
  const out = await new Promise<string>((ok, fail) => {
    const child = execFile(
      python,
      ['-c', READ_RUN],
      { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' } },
      (err, stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : ok(stdout)),
    );
    child.stdin!.end(JSON.stringify({ tracking_uri: trackingUri, run_id: runId }));
  });
  return JSON.parse(out.trim().split('\n').pop()!) as ReadBack;
}

it('records the verdict: evaluation.score, evalhub.passed, evalhub.benchmark.<id>.passed, the description headline', async () => {
  const acc = ENGINE_METRICS.arc_easy!.acc!;
  const faithfulness = ENGINE_METRICS.faithfulness!.faithfulness!;
  const e = await evaluateAndSync(t.hub, {
    ...MULTI_PROVIDER,
    experiment: { name: 'verdict-evaluation', tags: { gate: 'ci' } },
    benchmarks: [
      { ...MULTI_PROVIDER.benchmarks[0]!, pass_criteria: { op: '>=', value: 0.7 }, weight: 3 },
      { ...MULTI_PROVIDER.benchmarks[1]!, pass_criteria: { metric: 'faithfulness', op: '>=', value: 0.9 } },
    ],
  });
  expect(e.passed).toBe(false);
  const run = await readRun(e.tracking.run_id!);
  expect(run.metrics['evaluation.score']).toBeCloseTo((3 * acc + faithfulness) / 4, 12);
  expect(run.tags['evalhub.passed']).toBe('false');
  expect(run.tags['evalhub.benchmark.arc_easy.passed']).toBe('true');
  expect(run.tags['evalhub.benchmark.faithfulness.passed']).toBe('false');
  const firstLine = run.tags['mlflow.note.content']!.split('\n')[0];
  expect(firstLine).toBe(`**${e.verdict_reason}**`);
  expect(firstLine).toMatch(
    /^\*\*NOT PASSED: 1 of 2 benchmarks passed; score [\d.]+ — faithfulness: faithfulness = 0\.857143 < 0\.9/,
  );
});

it('an evaluation without criteria gets the score but no verdict tags (the spec payloads as before)', async () => {
  const e = await evaluateAndSync(t.hub, MULTI_PROVIDER);
  expect(e).not.toHaveProperty('passed');
  const run = await readRun(e.tracking.run_id!);
  expect(run.metrics['evaluation.score']).toBeCloseTo(
    (ENGINE_METRICS.arc_easy!.acc! + ENGINE_METRICS.faithfulness!.faithfulness!) / 2,
    12,
  );
  expect(Object.keys(run.tags).filter((k) => k.endsWith('.passed'))).toEqual([]);
  expect(run.tags['mlflow.note.content']).toMatch(/^Eval Hub evaluation `/);
});

it('a user tag in the evalhub.* namespace is refused, so the verdict tags are always the hub\u2019s', async () => {
  const err = await t.hub.service
    .submit({ ...MULTI_PROVIDER, experiment: { name: 'x', tags: { 'evalhub.passed': 'true' } } })
    .then(
      () => undefined,
      (x: unknown) => x as { status: number; details: { pointer: string }[] },
    );
  expect(err?.status).toBe(400);
  expect(err?.details[0]!.pointer).toMatch(/^\/experiment\/tags/);
});

it('an evaluation with a baseline carries the comparison as the Markdown artifact comparison.md', async () => {
  const base = await evaluateAndSync(t.hub, MULTI_PROVIDER);
  const e = await evaluateAndSync(t.hub, { ...MULTI_PROVIDER, baseline: { evaluation_id: base.id } });
  expect(e.baseline_comparison!.regressions).toBe(0);
  const run = await readRun(e.tracking.run_id!);
  expect(run.comparison).toContain(`against its baseline \`${base.id}\``);
  expect(run.comparison).toMatch(/\| arc_easy \| acc \| 0\.780303 \| 0\.780303 \| 0 \| within noise \(±/);
  const plain = await readRun(base.tracking.run_id!);
  expect(plain.comparison).toBeNull();
});
