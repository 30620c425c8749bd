import { randomUUID } from 'node:crypto';
import { ValidationError, type Evaluation } from '@evalhub/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  EXPERIMENT_KIND,
  EXPERIMENT_KIND_TAG,
  MlflowClient,
  MlflowTracker,
  NOTE_TAG,
  type Run,
} from '../src/index.js';
import {
  COLLECTION,
  ENGINE_METRICS,
  MLFLOW_TOKEN,
  MODEL_API_KEY,
  MULTI_PROVIDER,
  SINGLE_BENCHMARK,
  evaluateAndSync,
  expectedMetrics,
  runsOf,
  startHub,
  tagsOf,
  trackingSettled,
  type TestHub,
} from './harness.js';

// Everything runs against the real MLflow server of tools/test/setup-mlflow.ts.
const trackingUri = inject('mlflowTrackingUri');
let t: TestHub;
let mlflow: MlflowClient;

beforeAll(async () => {
  t = await startHub(trackingUri, { token: MLFLOW_TOKEN });
  mlflow = new MlflowClient({ trackingUri });
});
afterAll(async () => {
  await t?.close();
  await mlflow?.close();
});

async function theRun(e: Evaluation): Promise<{ run: Run; experimentId: string }> {
  expect(e.tracking.run_id).toBeTruthy();
  const run = await mlflow.getRun(e.tracking.run_id!);
  return { run, experimentId: run.info.experiment_id };
}

async function artifactNames(run: Run): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const f of await mlflow.listArtifacts(run.info.artifact_uri, dir)) {
      if (f.is_dir) await walk(f.path);
      else out.push(f.path);
    }
  };
  await walk('');
  return out.sort();
}

/** Asserts the parts of the spec's structure common to every evaluation. */
async function assertRunStructure(e: Evaluation, experimentName: string, userTags: Record<string, string>) {
  const experiment = await mlflow.getExperimentByName(experimentName);
  expect(experiment, `experiment ${experimentName}`).toBeDefined();
  expect(experiment!.lifecycle_stage).toBe('active');
  const etags = tagsOf(experiment!.tags);
  // Tags: direct mapping from experiment.tags (+ MLflow's own description and kind tags only).
  const userPart = Object.fromEntries(Object.entries(etags).filter(([k]) => !k.startsWith('mlflow.')));
  expect(userPart).toEqual(userTags);
  expect(etags[EXPERIMENT_KIND_TAG]).toBe(EXPERIMENT_KIND);
  // Description: auto-generated from benchmarks and model.
  expect(etags[NOTE_TAG]).toContain(e.model.name);
  for (const b of e.benchmarks) expect(etags[NOTE_TAG]).toContain(b.benchmark_id);

  // One run per evaluation request.
  const runs = (await runsOf(mlflow, experiment!.experiment_id)).filter(
    (r) => tagsOf(r.data.tags)['evalhub.evaluation_id'] === e.id,
  );
  expect(runs).toHaveLength(1);
  const { run } = await theRun(e);
  expect(run.info.experiment_id).toBe(experiment!.experiment_id);
  expect(run.info.run_name).toBe(`llama-3.1-8b-${e.id.replace(/-/g, '').slice(0, 8)}`);
  expect(e.tracking.experiment_name).toBe(experimentName);
  expect(e.tracking.links?.run).toBe(
    `${trackingUri}/#/experiments/${experiment!.experiment_id}/runs/${run.info.run_id}?workflowType=machine_learning`,
  );
  expect(e.tracking.links?.experiment).toBe(
    `${trackingUri}/#/experiments/${experiment!.experiment_id}?workflowType=machine_learning`,
  );

  // Run tags: experiment tags, model configuration, benchmark details, generated metadata.
  const rtags = tagsOf(run.data.tags);
  for (const [k, v] of Object.entries(userTags)) expect(rtags[k]).toBe(v);
  expect(rtags['evalhub.model.server']).toBe('vllm');
  expect(rtags['evalhub.model.name']).toBe(e.model.name);
  expect(rtags['evalhub.model.url_host']).toBe('127.0.0.1:9');
  expect(rtags['evalhub.benchmarks']).toBe(e.benchmarks.map((b) => b.benchmark_id).join(','));
  expect(rtags['evalhub.providers']).toBe(
    [...new Set(e.benchmarks.map((b) => b.provider_id))].sort().join(','),
  );
  expect(rtags['evalhub.benchmark_count']).toBe(String(e.benchmarks.length));
  expect(rtags['evalhub.evaluation_id']).toBe(e.id);
  expect(rtags['evalhub.hub_version']).toBe(t.hub.version);
  expect(rtags['evalhub.status']).toBe(e.status);
  expect(rtags['evalhub.source']).toBe('eval-hub');
  expect(rtags['mlflow.source.name']).toBe('eval-hub');
  expect(rtags[NOTE_TAG]).toContain(e.id);
  expect(rtags[NOTE_TAG]).toContain(e.model.name);

  // Params: model configuration and benchmark settings.
  const params = tagsOf(run.data.params);
  expect(params['model.name']).toBe(e.model.name);
  expect(params['model.server']).toBe('vllm');
  expect(params['model.url']).toBe('http://127.0.0.1:9/v1');
  for (const b of e.benchmarks) {
    for (const [k, v] of Object.entries(b.config))
      expect(params[`${b.benchmark_id}.${k}`]).toBe(typeof v === 'string' ? v : JSON.stringify(v));
  }

  // Metrics: the engine's numbers exactly, plus performance data.
  const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
  for (const [k, v] of Object.entries(expectedMetrics(e))) expect(metrics[k], k).toBe(v);
  for (const b of e.benchmarks.filter((x) => x.status === 'completed')) {
    expect(metrics[`${b.benchmark_id}.duration_seconds`]).toBeGreaterThanOrEqual(0);
  }
  expect(metrics['evaluation.duration_seconds']).toBeGreaterThan(0);

  // Artifacts: detailed results and execution logs per benchmark, plus the summary.
  const names = await artifactNames(run);
  expect(names).toContain('summary.json');
  for (const b of e.benchmarks) {
    expect(names).toContain(`${b.benchmark_id}/execution.log`);
    if (b.status === 'completed') expect(names).toContain(`${b.benchmark_id}/results.json`);
  }
  const summary = JSON.parse(
    (await mlflow.downloadArtifact(run.info.artifact_uri, 'summary.json')).toString('utf8'),
  );
  expect(summary.evaluation_id).toBe(e.id);
  expect(summary.status).toBe(e.status);
  const log = (
    await mlflow.downloadArtifact(run.info.artifact_uri, `${e.benchmarks[0]!.benchmark_id}/execution.log`)
  ).toString('utf8');
  expect(log).toContain(`running ${e.benchmarks[0]!.benchmark_id}`);

  // Secrets never reach params, tags or artifacts.
  const everything = [
    JSON.stringify(run.data),
    JSON.stringify(experiment!.tags),
    ...(await Promise.all(
      names.map(async (n) => (await mlflow.downloadArtifact(run.info.artifact_uri, n)).toString('utf8')),
    )),
  ].join('\n');
  expect(everything).not.toContain(MODEL_API_KEY);
  expect(everything).not.toContain(MLFLOW_TOKEN);
  return { run, experiment: experiment!, rtags, metrics, params };
}

describe('the spec payloads in a real MLflow', () => {
  it('single benchmark evaluation', async () => {
    const e = await evaluateAndSync(t.hub, SINGLE_BENCHMARK);
    expect(e.status).toBe('completed');
    const { run, rtags, params, metrics } = await assertRunStructure(
      e,
      'eval-hub_arc-easy-evaluation',
      SINGLE_BENCHMARK.experiment.tags,
    );
    expect(run.info.status).toBe('FINISHED');
    expect(run.info.end_time).toBeGreaterThanOrEqual(run.info.start_time);
    expect(rtags['evalhub.model.config.temperature']).toBe('0.1');
    expect(rtags['evalhub.model.config.max_tokens']).toBe('512');
    expect(rtags['evalhub.partial_failure']).toBe('false');
    expect(rtags[NOTE_TAG]).toMatch(/completed/);
    expect(params['model.temperature']).toBe('0.1');
    expect(params['model.max_tokens']).toBe('512');
    expect(params['arc_easy.num_fewshot']).toBe('0');
    expect(params['arc_easy.version']).toBe('1.0');
    expect(metrics['arc_easy.acc']).toBe(ENGINE_METRICS.arc_easy!.acc);
    expect(metrics['arc_easy.acc_stderr']).toBe(ENGINE_METRICS.arc_easy!.acc_stderr);
    expect(metrics['arc_easy.samples']).toBe(2376);
  });

  it('multi-provider evaluation', async () => {
    const e = await evaluateAndSync(t.hub, MULTI_PROVIDER);
    expect(e.status).toBe('completed');
    const { run, params, metrics } = await assertRunStructure(
      e,
      'eval-hub_comprehensive-evaluation',
      MULTI_PROVIDER.experiment.tags,
    );
    expect(run.info.status).toBe('FINISHED');
    expect(params['faithfulness.dataset_path']).toBe('./data/test.jsonl');
    expect(metrics['faithfulness.faithfulness']).toBe(ENGINE_METRICS.faithfulness!.faithfulness);
  });

  it('collection evaluation', async () => {
    const e = await evaluateAndSync(t.hub, COLLECTION);
    expect(e.status).toBe('completed');
    expect(e.benchmarks.map((b) => b.benchmark_id)).toEqual(['arc_easy', 'faithfulness']);
    const { run, rtags, params } = await assertRunStructure(
      e,
      'eval-hub_healthcare-certification',
      COLLECTION.experiment.tags,
    );
    expect(run.info.status).toBe('FINISHED');
    expect(rtags['evalhub.collection_id']).toBe('healthcare-certification');
    expect(params['collection_id']).toBe('healthcare-certification');
    const experiment = await mlflow.getExperimentByName('eval-hub_healthcare-certification');
    expect(tagsOf(experiment!.tags)[NOTE_TAG]).toContain('healthcare');
  });

  it('names the experiment after the model when the request has no experiment', async () => {
    const e = await evaluateAndSync(t.hub, {
      model: SINGLE_BENCHMARK.model,
      benchmarks: SINGLE_BENCHMARK.benchmarks,
    });
    expect(e.tracking.experiment_name).toBe('eval-hub_meta-llama-llama-3.1-8b');
    const experiment = await mlflow.getExperimentByName('eval-hub_meta-llama-llama-3.1-8b');
    expect(experiment?.experiment_id).toBe(e.tracking.experiment_id);
    expect(tagsOf(experiment!.tags)[NOTE_TAG]).toContain('meta-llama/llama-3.1-8b');
  });

  it('keeps experiment tags current on every request (changed values set, new ones added)', async () => {
    const name = `tags-${randomUUID().slice(0, 8)}`;
    const base = {
      model: { server: 'vllm', name: 'm/tags-model' },
      benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted' }],
    };
    await evaluateAndSync(t.hub, { ...base, experiment: { name, tags: { team: 'a', stage: 'dev' } } });
    const e2 = await evaluateAndSync(t.hub, {
      ...base,
      experiment: { name, tags: { team: 'b', owner: 'ml-ops' } },
    });
    const experiment = await mlflow.getExperimentByName(`eval-hub_${name}`);
    const tags = tagsOf(experiment!.tags);
    expect(tags.team).toBe('b');
    expect(tags.owner).toBe('ml-ops');
    expect(tags.stage).toBe('dev'); // upserted, never deleted: other requests' tags stay
    const runs = await runsOf(mlflow, experiment!.experiment_id);
    expect(runs).toHaveLength(2);
    expect(tagsOf((await mlflow.getRun(e2.tracking.run_id!)).data.tags).team).toBe('b');
  });
});

describe('failures in the MLflow run', () => {
  const model = { server: 'vllm', name: 'acme/failing-model' };

  it('partial failure: run FAILED, partial-failure tag, description says what failed and why', async () => {
    const e = await evaluateAndSync(t.hub, {
      model,
      benchmarks: [
        { benchmark_id: 'arc_easy', provider_id: 'lm_evaluation_harness', config: { num_fewshot: 0 } },
        {
          benchmark_id: 'faithfulness',
          provider_id: 'ragas',
          config: { fail: 'judge model returned no verdicts' },
        },
      ],
      experiment: { name: 'partial-failure' },
    });
    expect(e.status).toBe('partially_failed');
    const { run } = await theRun(e);
    const tags = tagsOf(run.data.tags);
    expect(run.info.status).toBe('FAILED');
    expect(tags['evalhub.status']).toBe('partially_failed');
    expect(tags['evalhub.partial_failure']).toBe('true');
    expect(tags['evalhub.failed_benchmarks']).toBe('faithfulness');
    expect(tags['evalhub.benchmarks_completed']).toBe('1');
    expect(tags['evalhub.benchmark.faithfulness.status']).toBe('failed');
    expect(tags['evalhub.benchmark.arc_easy.status']).toBe('completed');
    expect(tags[NOTE_TAG]).toContain('PARTIALLY FAILED');
    expect(tags[NOTE_TAG]).toContain('judge model returned no verdicts');
    // What succeeded is all there.
    const metrics = Object.fromEntries(run.data.metrics.map((m) => [m.key, m.value]));
    expect(metrics['arc_easy.acc']).toBe(ENGINE_METRICS.arc_easy!.acc);
    expect(metrics['evaluation.benchmarks_failed']).toBe(1);
    const names = (await mlflow.listArtifacts(run.info.artifact_uri, 'faithfulness')).map((f) => f.path);
    expect(names).toContain('faithfulness/execution.log');
  });

  it('total failure: run FAILED, description explains', async () => {
    const e = await evaluateAndSync(t.hub, {
      model,
      benchmarks: [{ benchmark_id: 'fail', provider_id: 'scripted', config: { fail: 'dataset is empty' } }],
      experiment: { name: 'total-failure' },
    });
    expect(e.status).toBe('failed');
    const { run } = await theRun(e);
    const tags = tagsOf(run.data.tags);
    expect(run.info.status).toBe('FAILED');
    expect(tags['evalhub.partial_failure']).toBe('false');
    expect(tags['evalhub.error']).toContain('dataset is empty');
    expect(tags[NOTE_TAG]).toContain('FAILED');
    expect(tags[NOTE_TAG]).toContain('dataset is empty');
  });

  it('cancelled evaluation: run KILLED', async () => {
    const { evaluation } = await t.hub.service.submit({
      model,
      benchmarks: [
        { benchmark_id: 'command', provider_id: 'scripted', config: { command: ['sleep', '60'] } },
      ],
      experiment: { name: 'cancelled' },
    });
    // Cancel once the benchmark is running (the hub's own state, not a timer).
    for (;;) {
      const cur = await t.hub.service.get(evaluation.id);
      if (cur.benchmarks[0]!.status === 'running') break;
      await new Promise((ok) => setTimeout(ok, 50));
    }
    await t.hub.service.cancel(evaluation.id);
    await t.hub.service.wait(evaluation.id);
    const e = await trackingSettled(t.hub, evaluation.id);
    expect(e.status).toBe('cancelled');
    const { run } = await theRun(e);
    expect(run.info.status).toBe('KILLED');
    expect(tagsOf(run.data.tags)[NOTE_TAG]).toContain('CANCELLED');
  });

  it('invalid tag characters are rejected at request time, naming the offending key', async () => {
    const name = `invalid-tags-${randomUUID().slice(0, 8)}`;
    const err = await t.hub.service
      .submit({ ...SINGLE_BENCHMARK, experiment: { name, tags: { 'cost center!': 'x', ok_key: 'y' } } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ValidationError);
    const text = JSON.stringify((err as ValidationError).details) + (err as Error).message;
    expect(text).toContain('cost center!');
    // Nothing reached MLflow.
    expect(await mlflow.getExperimentByName(`eval-hub_${name}`)).toBeUndefined();
  });
});

describe('experiments', () => {
  it('a soft-deleted experiment with the name is a clear error naming the conflict and the fix', async () => {
    const name = `deleted-${randomUUID().slice(0, 8)}`;
    const id = await mlflow.createExperiment(`eval-hub_${name}`);
    await mlflow.deleteExperiment(id);
    const done = await t.hub.evaluate({ ...SINGLE_BENCHMARK, experiment: { name } });
    expect(done.status).toBe('completed'); // the evaluation itself is unaffected
    const e = await trackingSettled(t.hub, done.id);
    expect(e.tracking.state).toBe('failed');
    expect(e.tracking.last_error).toContain(`eval-hub_${name}`);
    expect(e.tracking.last_error).toMatch(/deleted/);
    expect(e.tracking.last_error).toMatch(/[Rr]estore/);
    expect(e.tracking.last_error).toContain('another experiment name');
    expect((await mlflow.getExperiment(id)).lifecycle_stage).toBe('deleted');

    // Configured to restore: the same name works, in the restored experiment.
    const r = await startHub(trackingUri, { restore_deleted_experiments: true });
    try {
      const e2 = await evaluateAndSync(r.hub, { ...SINGLE_BENCHMARK, experiment: { name } });
      expect(e2.tracking.experiment_id).toBe(id);
      expect((await mlflow.getExperiment(id)).lifecycle_stage).toBe('active');
      expect((await mlflow.getRun(e2.tracking.run_id!)).info.status).toBe('FINISHED');
    } finally {
      await r.close();
    }
  });

  it('10 concurrent requests to one new experiment: one experiment, 10 runs', async () => {
    const c = await startHub(trackingUri, {}, { concurrency: 10 });
    try {
      const name = `concurrent-${randomUUID().slice(0, 8)}`;
      const request = {
        model: { server: 'vllm', name: 'acme/concurrent' },
        benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted', config: { metrics: { score: 0.5 } } }],
        experiment: { name, tags: { batch: 'ten' } },
      };
      const all = await Promise.all(Array.from({ length: 10 }, () => evaluateAndSync(c.hub, request)));
      const experiments = await mlflow.searchExperiments({ filter: `name = 'eval-hub_${name}'` });
      expect(experiments.items).toHaveLength(1);
      const runs = await runsOf(mlflow, experiments.items[0]!.experiment_id);
      expect(runs).toHaveLength(10);
      expect(new Set(runs.map((r) => tagsOf(r.data.tags)['evalhub.evaluation_id']))).toEqual(
        new Set(all.map((e) => e.id)),
      );
      expect(runs.every((r) => r.info.status === 'FINISHED')).toBe(true);
    } finally {
      await c.close();
    }
  });
});

describe('request budget', () => {
  /** What a tracker sends for one evaluation whose metrics arrive in one batch. */
  async function count(metricsPerBenchmark: number): Promise<number> {
    const tracker = new MlflowTracker({ options: { tracking_uri: trackingUri }, hubVersion: 'test' });
    const id = randomUUID();
    const now = new Date().toISOString();
    const benchmarks = Array.from({ length: 5 }, (_, i) => ({
      benchmark_id: `bench${i}`,
      provider_id: 'scripted',
      config: {},
      status: 'completed' as const,
      progress: { fraction: 1 },
    }));
    const e: Evaluation = {
      id,
      status: 'running',
      model: { server: 'vllm', name: 'acme/budget', url: 'http://127.0.0.1:9/v1', configuration: {} },
      experiment: { name: 'budget', tags: { purpose: 'request-budget' } },
      benchmarks,
      tracking: { tracker: 'mlflow', state: 'pending' },
      created_at: now,
      updated_at: now,
      started_at: now,
    };
    // Make sure the experiment exists with current tags, so only the per-evaluation requests are counted.
    await (
      await tracker.startRun({ ...e, id: randomUUID() })
    ).finish({ ...e, status: 'completed', finished_at: now });
    const before = tracker.client.http.requestCount;
    const run = await tracker.startRun(e);
    const metrics: Record<string, number> = {};
    const params: Record<string, string> = {};
    for (const b of benchmarks)
      for (let m = 0; m < metricsPerBenchmark; m++) metrics[`${b.benchmark_id}.metric_${m}`] = Math.random();
    for (let p = 0; p < 20; p++) params[`model.setting_${p}`] = String(p);
    await run.log({ metrics, params, timestamp: Date.now() });
    await run.finish({ ...e, status: 'completed', finished_at: new Date().toISOString() });
    const used = tracker.client.http.requestCount - before;
    const stored = await mlflow.getRun(run.info.run_id!);
    expect(stored.data.metrics).toHaveLength(5 * metricsPerBenchmark);
    await tracker.close();
    return used;
  }

  it('stays within 8 requests apart from artifacts, up to 1,000 metrics', async () => {
    const at200 = await count(40);
    const at1000 = await count(200);
    expect(at200).toBeLessThanOrEqual(8);
    expect(at1000).toBeLessThanOrEqual(8);
    // 1,000 metrics + 20 params exceed MLflow's 1,000 entities per log-batch: exactly one more batch.
    expect(at1000).toBeLessThanOrEqual(at200 + 1);
  });
});
