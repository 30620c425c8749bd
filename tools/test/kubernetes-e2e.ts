import {
  createHub,
  loadConfig,
  silentLogger,
  type Evaluation,
  type Hub,
  type HubConfig,
} from '@evalhub/core';
import lmEvalPlugin from '@evalhub/provider-lmeval';
import { SERVER_PACKAGE_DIR } from '@evalhub/server';
import { MlflowClient } from '@evalhub/tracker-mlflow';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createHubNamespace, repoRoot, type HubNamespace } from '../src/index.js';

/**
 * What the k8s-e2e tests (the worker end to end, the whole-hub crash) share: a namespace with the
 * project's RBAC and a token of the hub's ServiceAccount (never cluster admin), the arc_easy
 * request over the bundled sample, and the local runtime's score of it, which a Job must reproduce
 * to the last digit.
 */

/** lm-eval arc_easy over the sample in the data root: the fixture model answers it deterministically. */
export const ARC_REQUEST = {
  model: { server: 'fixture', name: 'fixture', configuration: {} },
  benchmarks: [
    {
      benchmark_id: 'arc_easy',
      provider_id: 'lm_evaluation_harness',
      config: { num_fewshot: 0, dataset_path: 'arc-sample.jsonl' },
    },
  ],
  experiment: { name: 'k8s-worker-parity', tags: { runtime: 'test' } },
};

/** Copies the arc_easy sample into `dataRoot` (the hub's data_root). */
export async function arcDataRoot(dataRoot: string): Promise<void> {
  await mkdir(dataRoot, { recursive: true });
  await copyFile(
    join(repoRoot, 'packages', 'provider-lmeval', 'test', 'data', 'arc-sample.jsonl'),
    join(dataRoot, 'arc-sample.jsonl'),
  );
}

/** A fresh namespace with the project's RBAC and the hub's token in `dir` (see createHubNamespace). */
export function hubNamespace(name: string, dir: string): Promise<HubNamespace> {
  return createHubNamespace(inject('kubernetes'), name, { tokenDir: dir });
}

/** The env of a hub of these tests: the fixture model server, the real MLflow, the data root. */
export function hubEnv(o: { python: string; dataRoot: string; dataDir: string }): Record<string, string> {
  return {
    EVALHUB_DISCOVER_PLUGINS: 'false',
    EVALHUB_PYTHON: o.python,
    EVALHUB_DATA_ROOT: o.dataRoot,
    EVALHUB_DATA_DIR: o.dataDir,
    EVALHUB_MODEL_SERVERS: `fixture=${inject('fixtureModelUrl')}/v1`,
    MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'),
    MLFLOW_EXPERIMENT_PREFIX: `k8s-${process.pid}`,
  };
}

/** A hub config (loadConfig) in `dir` with hubEnv plus `extra`. */
export async function hubConfig(
  dir: string,
  o: { python: string; dataRoot: string },
  extra: Record<string, string> = {},
): Promise<HubConfig> {
  await mkdir(dir, { recursive: true });
  return loadConfig({ cwd: dir, env: { ...hubEnv({ ...o, dataDir: join(dir, 'state') }), ...extra } });
}

/** ARC_REQUEST evaluated by a hub with the local runtime (the reference score). */
export async function localReference(
  dir: string,
  o: { python: string; dataRoot: string },
): Promise<Evaluation> {
  let local: Hub | undefined;
  try {
    local = await createHub({
      config: await hubConfig(dir, o),
      plugins: [{ plugin: lmEvalPlugin as never, options: { concurrency: 4 } }],
      resolveFrom: [SERVER_PACKAGE_DIR],
      logger: silentLogger(),
    });
    return await local.evaluate(ARC_REQUEST);
  } finally {
    await local?.close();
  }
}

/** `arc_easy.acc` of the evaluation's MLflow run, read back over MLflow's REST API. */
export async function mlflowAcc(evaluation: Evaluation): Promise<number | undefined> {
  const client = new MlflowClient({ trackingUri: inject('mlflowTrackingUri') });
  const run = await client.getRun(evaluation.tracking.run_id ?? '');
  return run.data.metrics.find((m) => m.key === 'arc_easy.acc')?.value;
}
