import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { repoRoot, resolvePython } from '../src/index.js';
import { startHubProcess, type HubProcess } from '../src/testing/hub-process.js';

/** One `evalhub serve` process of a replica set, with its own data folder and its log. */
export interface Replica extends HubProcess {
  name: string;
  dataDir: string;
  /** Everything the process logged (pino JSON lines on stdout) since it listened. */
  log(): string;
}

export interface ClusterOptions {
  /** Temp folder for the config, the data folders and the datasets. */
  top: string;
  /** PostgreSQL schema the replicas share (a fresh one per test). */
  schema: string;
  leaseMs: number;
  /** MLflow experiment prefix (a fresh one per test). */
  experimentPrefix: string;
  /** Default `mlflow`. */
  tracker?: 'mlflow' | 'none';
  /** More of the config's `evaluation` section (concurrency, queue bound). */
  evaluation?: Record<string, unknown>;
}

/** Writes one config per replica (same database, MLflow and datasets; own data folder). */
async function writeConfig(o: ClusterOptions, name: string): Promise<{ config: string; dataDir: string }> {
  const dataRoot = join(o.top, 'datasets');
  await mkdir(dataRoot, { recursive: true });
  await copyFile(
    join(repoRoot, 'packages', 'provider-lmeval', 'test', 'data', 'arc-sample.jsonl'),
    join(dataRoot, 'arc-sample.jsonl'),
  );
  await copyFile(
    join(repoRoot, 'examples', 'provider-exact-match', 'data', 'capitals.jsonl'),
    join(dataRoot, 'capitals.jsonl'),
  );
  const dataDir = join(o.top, name);
  const config = join(o.top, `${name}.config.json`);
  await writeFile(
    config,
    JSON.stringify({
      data_dir: dataDir,
      data_root: dataRoot,
      discover_plugins: false,
      python: await resolvePython(),
      store: { name: 'postgres', options: { url: inject('postgres').url, schema: o.schema, pool_max: 4 } },
      tracker: o.tracker ?? 'mlflow',
      mlflow: { tracking_uri: inject('mlflowTrackingUri'), experiment_prefix: o.experimentPrefix },
      plugins: [
        { name: '@evalhub/provider-lmeval', options: { preflight: false, request_timeout_seconds: 3600 } },
        'evalhub-provider-exact-match',
      ],
      // `slow`: lm-eval takes a while (a replica can be stopped mid-run); `hang`: never answers.
      model_servers: {
        fast: `${inject('fixtureModelUrl')}/v1`,
        slow: `${inject('fixtureModelUrl')}/_/latency=150/v1`,
        hang: `${inject('fixtureModelUrl')}/_/hang/v1`,
      },
      evaluation: { ...o.evaluation, lease_ms: o.leaseMs },
    }),
    { mode: 0o600 },
  );
  return { config, dataDir };
}

export async function startReplica(o: ClusterOptions, name: string): Promise<Replica> {
  const { config, dataDir } = await writeConfig(o, name);
  const hub = await startHubProcess({ config });
  let log = '';
  hub.child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  return { ...hub, name, dataDir, log: () => log };
}

/** The work folder of an evaluation on one replica (its engines' command lines name it). */
export const workRoot = (r: Replica, id: string): string => join(r.dataDir, 'evaluations', id, 'work');

/** An arc_easy evaluation through lm-eval against one of the fixture model servers. */
export function arcRequest(experiment: string, server: 'slow' | 'hang'): Record<string, unknown> {
  return {
    model: { server, name: 'fixture' },
    benchmarks: [
      {
        benchmark_id: 'arc_easy',
        provider_id: 'lm_evaluation_harness',
        config: { dataset_path: 'arc-sample.jsonl' },
      },
    ],
    experiment: { name: experiment },
  };
}

interface MlflowRun {
  info: { run_id: string; status: string };
  data: { metrics?: { key: string; value: number }[]; tags?: { key: string; value: string }[] };
}

/** The runs of one MLflow experiment, straight from MLflow's REST API. */
export async function mlflowRuns(experimentName: string): Promise<MlflowRun[]> {
  const base = `${inject('mlflowTrackingUri')}/api/2.0/mlflow`;
  const exp = await fetch(
    `${base}/experiments/get-by-name?experiment_name=${encodeURIComponent(experimentName)}`,
  );
  if (exp.status === 404) return [];
  const { experiment } = (await exp.json()) as { experiment: { experiment_id: string } };
  const res = await fetch(`${base}/runs/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ experiment_ids: [experiment.experiment_id], max_results: 100 }),
  });
  return ((await res.json()) as { runs?: MlflowRun[] }).runs ?? [];
}

/** Reads an SSE stream until `stop` says so (or the stream ends); returns the events' data. */
export async function readEvents(
  url: string,
  stop: (event: Record<string, unknown>) => boolean,
  signal?: AbortSignal,
): Promise<Record<string, unknown>[]> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream' }, ...(signal ? { signal } : {}) });
  const events: Record<string, unknown>[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .join('\n');
      if (!data) continue;
      const event = JSON.parse(data) as Record<string, unknown>;
      events.push(event);
      if (stop(event)) {
        await res.body?.cancel().catch(() => undefined);
        return events;
      }
    }
  }
  return events;
}

/** A quick in-process evaluation (the example exact-match provider against the fixture model). */
export function quickRequest(experiment: string): Record<string, unknown> {
  return {
    model: { server: 'fast', name: 'fixture' },
    benchmarks: [
      {
        benchmark_id: 'qa_exact_match',
        provider_id: 'exact_match_qa',
        config: { dataset_path: 'capitals.jsonl' },
      },
    ],
    experiment: { name: experiment },
  };
}
