import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Evaluation, EvaluationComparison } from '@evalhub/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as run } from './support/processes.js';
import { http, testServer, type TestServer } from './support/harness.js';

// GET /api/v1/evaluations/{id}/compare and `evalhub compare A B` against a real hub.

let s: TestServer;
let dir: string;
beforeAll(async () => {
  s = await testServer();
  dir = mkdtempSync(join(tmpdir(), 'evalhub-compare-'));
});
afterAll(async () => {
  await s?.stop();
});

/** Runs arc_easy reporting these metrics (as lm-eval would: acc with acc_stderr) and returns the evaluation. */
async function evaluation(name: string, metrics: Record<string, number>): Promise<Evaluation> {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      model: { server: 'vllm', name: `model-${name}` },
      benchmarks: [{ benchmark_id: 'arc_easy', provider_id: 'lm_evaluation_harness', config: { metrics } }],
    }),
  );
  const r = await run(['run', file, '--wait', '--json', '--url', s.url]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Evaluation;
}

let baseline: Evaluation;
let regressed: Evaluation;
let noisy: Evaluation;
beforeAll(async () => {
  [baseline, regressed, noisy] = await Promise.all([
    evaluation('baseline', { acc: 0.7803, acc_stderr: 0.0085, score: 0.5 }),
    evaluation('regressed', { acc: 0.74, acc_stderr: 0.009, score: 0.5 }),
    evaluation('noisy', { acc: 0.765, acc_stderr: 0.0086, score: 0.52 }),
  ]);
});

describe('comparing evaluations', () => {
  it("GET …/compare finds a regression beyond lm-eval's standard errors, and none within them", async () => {
    const r = await http<EvaluationComparison>(
      s.url,
      'GET',
      `/api/v1/evaluations/${regressed.id}/compare?with=${baseline.id}`,
    );
    expect(r.status).toBe(200);
    expect(r.body.evaluation_id).toBe(regressed.id);
    expect(r.body.with).toBe(baseline.id);
    const acc = r.body.rows.find((x) => x.metric === 'acc')!;
    expect(acc).toMatchObject({
      benchmark_id: 'arc_easy',
      a: 0.74,
      b: 0.7803,
      method: 'stderr',
      regression: true,
    });
    expect(r.body.rows.find((x) => x.metric === 'score')).toMatchObject({
      method: 'tolerance',
      significant: false,
    });
    expect(r.body.regressions).toBe(1);
    const within = await http<EvaluationComparison>(
      s.url,
      'GET',
      `/api/v1/evaluations/${noisy.id}/compare?with=${baseline.id}&tolerance=0.05`,
    );
    expect(within.body.regressions).toBe(0);
    expect(within.body.rows.find((x) => x.metric === 'acc')).toMatchObject({ significant: false });
  });

  it('refuses a comparison without ?with or with a bad tolerance (400), and an unknown id (404)', async () => {
    const none = await http(s.url, 'GET', `/api/v1/evaluations/${baseline.id}/compare`);
    expect(none.status).toBe(400);
    expect(none.body.error.details[0].pointer).toBe('/with');
    const empty = await http(s.url, 'GET', `/api/v1/evaluations/${baseline.id}/compare?with=`);
    expect(empty.status).toBe(400);
    const bad = await http(
      s.url,
      'GET',
      `/api/v1/evaluations/${baseline.id}/compare?with=${noisy.id}&tolerance=-1`,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].pointer).toBe('/tolerance');
    const unknown = await http(s.url, 'GET', `/api/v1/evaluations/${baseline.id}/compare?with=nope`);
    expect(unknown.status).toBe(404);
  });

  it('evalhub compare A B prints the table and exits 1 on a regression, 0 without', async () => {
    const r = await run(['compare', regressed.id, baseline.id, '--url', s.url]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/benchmark\s+metric\s+A\s+B\s+delta\s+significance/);
    expect(r.stdout).toMatch(
      /arc_easy\s+acc\s+0\.74\s+0\.7803\s+-0\.0403\s+REGRESSION \(±0\.0243 from stderr\)/,
    );
    expect(r.stdout).toContain('1 regression');
    const ok = await run(['compare', noisy.id, baseline.id, '--url', s.url]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/acc\s+0\.765\s+0\.7803\s+-0\.0153\s+within noise/);
    const usage = await run(['compare', noisy.id, '--url', s.url]);
    expect(usage.code).toBe(2);
  });
});
