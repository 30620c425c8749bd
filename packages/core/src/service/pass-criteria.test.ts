import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.js';
import type { Hub } from '../hub.js';
import { createScriptedHub } from './scripted-hub.test-support.js';

const dir = mkdtempSync(join(tmpdir(), 'evalhub-criteria-'));
let hub: Hub | undefined;
afterAll(async () => {
  await hub?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function theHub(): Promise<Hub> {
  hub ??= await createScriptedHub(dir);
  return hub;
}

const model = { server: 'vllm', name: 'test-model' };
const bench = (benchmark_id: string, score: number, extra: Record<string, unknown> = {}) => ({
  benchmark_id,
  provider_id: 'scripted',
  config: { metrics: { score } },
  ...extra,
});

async function refusal(body: unknown): Promise<ValidationError> {
  const h = await theHub();
  const err = await h.service.submit(body).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ValidationError);
  return err as ValidationError;
}

describe('pass criteria at submission', () => {
  it('refuses a criterion on a metric the benchmark cannot produce, naming the field and the fix', async () => {
    const err = await refusal({
      model,
      benchmarks: [bench('ok', 1, { pass_criteria: { metric: 'acc', op: '>=', value: 0.5 } })],
    });
    expect(err.details).toEqual([
      {
        pointer: '/benchmarks/0/pass_criteria/metric',
        message:
          "Benchmark 'ok' does not produce a metric 'acc': use one of 'score'. See GET /api/v1/benchmarks?provider=scripted (field metrics).",
      },
    ]);
  });

  it('refuses an unknown op and a criterion without a value (schema)', async () => {
    const err = await refusal({
      model,
      benchmarks: [
        bench('ok', 1, { pass_criteria: { op: '>', value: 1 } }),
        bench('ok2', 1, { pass_criteria: { op: '>=' } }),
      ],
    });
    expect(err.details.map((d) => d.pointer).sort()).toEqual([
      '/benchmarks/0/pass_criteria/op',
      '/benchmarks/1/pass_criteria/value',
    ]);
  });

  it("names the collection's benchmark whose criterion is wrong", async () => {
    const h = await theHub();
    await h.collections.create({
      id: 'bad-criteria',
      name: 'Bad',
      benchmarks: [bench('ok', 1, { pass_criteria: { metric: 'f1', op: '>=', value: 0.5 } })],
    });
    const err = await refusal({ model, collection_id: 'bad-criteria' });
    expect(err.details[0]!.pointer).toBe('/collection_id');
    expect(err.details[0]!.message).toMatch(/^ok: Benchmark 'ok' does not produce a metric 'f1'/);
  });
});

describe('pass criteria at the end of an evaluation', () => {
  it("defaults the metric to the benchmark's primary metric and passes or fails each benchmark", async () => {
    const h = await theHub();
    const e = await h.evaluate({
      model,
      benchmarks: [
        bench('ok', 0.8, { pass_criteria: { op: '>=', value: 0.7 } }),
        bench('ok2', 0.6, { pass_criteria: { op: '>=', value: 0.7 } }),
      ],
    });
    expect(e.status).toBe('completed');
    expect(e.benchmarks.map((b) => [b.pass_criteria?.metric, b.passed, b.verdict_reason])).toEqual([
      ['score', true, 'score = 0.8 >= 0.7'],
      ['score', false, 'score = 0.6 < 0.7 (needs score >= 0.7)'],
    ]);
    expect(e.passed).toBe(false);
    expect(e.score).toBeCloseTo(0.7);
    expect((await h.service.get(e.id)).passed).toBe(false);
  });

  it("weighs a collection's benchmarks against its pass_threshold; a request's threshold replaces it", async () => {
    const h = await theHub();
    await h.collections.create({
      id: 'grade-a',
      name: 'Grade A',
      pass_threshold: 0.75,
      benchmarks: [bench('ok', 0.9, { weight: 3 }), bench('ok2', 0.5)],
    });
    const passed = await h.evaluate({ model, collection_id: 'grade-a' });
    expect(passed.pass_threshold).toBe(0.75);
    expect(passed.score).toBeCloseTo(0.8);
    expect(passed.passed).toBe(true);
    expect(passed.verdict_reason).toBe('PASSED: 2 of 2 benchmarks passed; score 0.8 >= pass_threshold 0.75');
    const stricter = await h.evaluate({ model, collection_id: 'grade-a', pass_threshold: 0.85 });
    expect(stricter.passed).toBe(false);
  });

  it('fails the verdict of a failed benchmark and leaves evaluations without criteria without one', async () => {
    const h = await theHub();
    const failed = await h.evaluate({
      model,
      benchmarks: [
        bench('ok', 1),
        { benchmark_id: 'fail', provider_id: 'scripted', config: { fail: 'boom' } },
      ],
      pass_threshold: 0,
    });
    expect(failed.passed).toBe(false);
    expect(failed.benchmarks[1]!.verdict_reason).toBe('failed: boom');
    const plain = await h.evaluate({ model, benchmarks: [bench('ok', 1)] });
    expect(plain.status).toBe('completed');
    expect(plain).not.toHaveProperty('passed');
    expect(plain.benchmarks[0]).not.toHaveProperty('passed');
    expect(plain.score).toBe(1);
  });
});

describe('a baseline', () => {
  it('refuses a baseline that does not exist, naming the field', async () => {
    const err = await refusal({ model, benchmarks: [bench('ok', 1)], baseline: { evaluation_id: 'nope' } });
    expect(err.details[0]!.pointer).toBe('/baseline/evaluation_id');
    expect(err.details[0]!.message).toMatch(/no evaluation 'nope'/);
  });

  it("fails the verdict on a regression beyond the engine's stderr, not on a drop within it", async () => {
    const h = await theHub();
    const run = (score: number, score_stderr: number, baseline?: object) =>
      h.evaluate({
        model,
        benchmarks: [
          { benchmark_id: 'ok', provider_id: 'scripted', config: { metrics: { score, score_stderr } } },
        ],
        ...(baseline ? { baseline } : {}),
      });
    const base = await run(0.7803, 0.0085);
    const regressed = await run(0.74, 0.009, { evaluation_id: base.id, fail_on_regression: true });
    expect(regressed.baseline_comparison!.rows[0]).toMatchObject({
      metric: 'score',
      method: 'stderr',
      regression: true,
    });
    expect(regressed.passed).toBe(false);
    expect(regressed.verdict_reason).toBe(
      `NOT PASSED: 1 of 1 benchmarks passed; score 0.74; 1 regression against ${base.id} (ok.score -0.0403)`,
    );
    const noisy = await run(0.765, 0.0086, { evaluation_id: base.id, fail_on_regression: true });
    expect(noisy.baseline_comparison!.regressions).toBe(0);
    expect(noisy.passed).toBe(true);
    const reported = await run(0.74, 0.009, { evaluation_id: base.id });
    expect(reported.baseline_comparison!.regressions).toBe(1);
    expect(reported).not.toHaveProperty('passed');
  });
});

describe('a baseline chosen by tags', () => {
  it("takes the latest completed evaluation of the request's experiment with those tags", async () => {
    const h = await theHub();
    const run = (score: number, tags: Record<string, string>, baseline?: object) =>
      h.evaluate({
        model,
        benchmarks: [bench('ok', score)],
        experiment: { name: 'releases', tags },
        ...(baseline ? { baseline } : {}),
      });
    await run(0.9, { release: 'true' });
    const latest = await run(0.8, { release: 'true' });
    await run(0.1, { release: 'false' });
    const e = await run(0.6, {}, { latest_with_tags: { release: 'true' }, fail_on_regression: true });
    expect(e.baseline).toEqual({
      latest_with_tags: { release: 'true' },
      fail_on_regression: true,
      evaluation_id: latest.id,
    });
    expect(e.baseline_comparison!.rows[0]).toMatchObject({
      a: 0.6,
      b: 0.8,
      method: 'tolerance',
      regression: true,
    });
    expect(e.passed).toBe(false);
  });

  it('refuses tags without an experiment, tags nothing has, and both or neither selector', async () => {
    const tagged = { latest_with_tags: { release: 'never' } };
    const pointers = async (body: object) =>
      (await refusal({ model, benchmarks: [bench('ok', 1)], ...body })).details.map((d) => d.pointer);
    expect(await pointers({ baseline: tagged })).toEqual(['/baseline/latest_with_tags']);
    expect(await pointers({ baseline: tagged, experiment: { name: 'releases' } })).toEqual([
      '/baseline/latest_with_tags',
    ]);
    expect(await pointers({ baseline: { fail_on_regression: true } })).toEqual(['/baseline']);
    expect(await pointers({ baseline: { evaluation_id: 'x', ...tagged } })).toEqual(['/baseline']);
  });
});
