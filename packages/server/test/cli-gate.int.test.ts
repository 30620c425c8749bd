import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Evaluation } from '@evalhub/core';
import { parse, type TestSuites } from 'junit2json';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SERVER_PACKAGE_DIR } from '../src/app.js';
import { runCli as run } from './support/processes.js';
import { http, testServer, type TestServer } from './support/harness.js';

// `evalhub run --wait` as a CI gate against a real hub with the real MLflow tracker; the JUnit
// report is read by junit2json, a JUnit XML parser nobody here wrote.
const trackingUri = inject('mlflowTrackingUri');

let s: TestServer;
let dir: string;
beforeAll(async () => {
  s = await testServer({
    config: {
      tracker: 'mlflow',
      mlflow: { tracking_uri: trackingUri, experiment_prefix: `gate-int-${process.pid}-${Date.now()}` },
    },
    hubOptions: { resolveFrom: [SERVER_PACKAGE_DIR] },
  });
  dir = mkdtempSync(join(tmpdir(), 'evalhub-gate-'));
});
afterAll(async () => {
  await s?.stop();
});

const requestFile = (name: string, benchmarks: unknown[], extra: Record<string, unknown> = {}): string => {
  const p = join(dir, name);
  writeFileSync(
    p,
    JSON.stringify({
      model: { server: 'vllm', name: 'gate-model' },
      benchmarks,
      experiment: { name: 'gate' },
      ...extra,
    }),
  );
  return p;
};
const arc = (score: number, extra: Record<string, unknown> = {}) => ({
  benchmark_id: 'arc_easy',
  provider_id: 'lm_evaluation_harness',
  config: { metrics: { score } },
  ...extra,
});
const faithfulness = (config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  benchmark_id: 'faithfulness',
  provider_id: 'ragas',
  config,
  ...extra,
});

async function junit(file: string): Promise<TestSuites> {
  return (await parse(readFileSync(file, 'utf8'))) as TestSuites;
}

describe('evalhub run --wait as a gate', () => {
  it('exits 0 when the evaluation passed, prints the verdict and the MLflow link, writes a passing JUnit report', async () => {
    const report = join(dir, 'passed.xml');
    const r = await run([
      'run',
      requestFile(
        'pass.json',
        [
          arc(0.8, { pass_criteria: { op: '>=', value: 0.7 }, weight: 3 }),
          faithfulness({ metrics: { score: 0.6 } }),
        ],
        { pass_threshold: 0.7 },
      ),
      '--wait',
      '--junit',
      report,
      '--url',
      s.url,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Verdict: PASSED: 2 of 2 benchmarks passed; score 0.75 >= pass_threshold 0.7');
    const link = /MLflow run: (\S+)/.exec(r.stdout)?.[1];
    const id = /Evaluation (\S+): completed/.exec(r.stdout)![1]!;
    const e = (await http<Evaluation>(s.url, 'GET', `/api/v1/evaluations/${id}`)).body;
    expect(link).toBe(e.tracking.links!.run);
    const xml = await junit(report);
    expect(xml.tests).toBe(2);
    expect(xml.failures).toBe(0);
    const suite = xml.testsuite![0]!;
    expect(suite.testcase!.map((c) => [c.classname, c.name, c.failure])).toEqual([
      ['lm_evaluation_harness', 'arc_easy', undefined],
      ['ragas', 'faithfulness', undefined],
    ]);
    expect(suite.properties).toContainEqual({ name: 'passed', value: 'true' });
    expect(suite.properties).toContainEqual({ name: 'mlflow_run', value: link });
  });

  it('exits 1 when a criterion is not met or a benchmark failed; the report names each reason', async () => {
    const report = join(dir, 'not-passed.xml');
    const r = await run([
      'run',
      requestFile('not-passed.json', [
        arc(0.5, { pass_criteria: { metric: 'score', op: '>=', value: 0.7 } }),
        faithfulness({ fail: 'judge model unreachable' }),
      ]),
      '--wait',
      '--junit',
      report,
      '--url',
      s.url,
    ]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('Verdict: NOT PASSED: 0 of 2 benchmarks passed');
    const xml = await junit(report);
    expect(xml.failures).toBe(2);
    const [a, f] = xml.testsuite![0]!.testcase!;
    expect(a!.failure).toEqual([
      {
        type: 'criteria_not_met',
        message: 'score = 0.5 < 0.7 (needs score >= 0.7)',
        inner: 'score = 0.5 < 0.7 (needs score >= 0.7)',
      },
    ]);
    expect(f!.failure![0]!.message).toBe('failed: judge model unreachable');
  });

  it('without criteria: exits 0 when completed, 1 when a benchmark failed, with a JUnit failure for it', async () => {
    const ok = await run(['run', requestFile('plain.json', [arc(0.4)]), '--wait', '--url', s.url]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).not.toContain('Verdict:');
    const report = join(dir, 'plain-failed.xml');
    const failed = await run([
      'run',
      requestFile('plain-failed.json', [arc(0.4), faithfulness({ fail: 'boom' })]),
      '--wait',
      '--junit',
      report,
      '--url',
      s.url,
    ]);
    expect(failed.code).toBe(1);
    const cases = (await junit(report)).testsuite![0]!.testcase!;
    expect(cases[0]!.failure).toBeUndefined();
    expect(cases[1]!.failure![0]).toMatchObject({ type: 'benchmark_failed', message: 'boom' });
  });

  it('exits 2 on usage and transport errors and on a refused request (a criterion on an unknown metric)', async () => {
    const req = requestFile('bad-metric.json', [
      arc(1, { pass_criteria: { metric: 'acc', op: '>=', value: 0.5 } }),
    ]);
    const refused = await run(['run', req, '--wait', '--url', s.url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('HTTP 400');
    expect(refused.stderr).toContain(
      "/benchmarks/0/pass_criteria/metric: Benchmark 'arc_easy' does not produce a metric 'acc': use one of 'score'.",
    );
    const usage = await run(['run', req, '--junit', join(dir, 'x.xml'), '--url', s.url]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--junit needs --wait');
    const closed = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const transport = await run([
      'run',
      requestFile('ok.json', [arc(1)]),
      '--wait',
      '--url',
      `http://127.0.0.1:${closed}`,
    ]);
    expect(transport.code).toBe(2);
  });
});
