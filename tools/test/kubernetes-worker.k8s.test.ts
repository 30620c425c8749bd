import { BatchV1Api, CoreV1Api, KubeConfig, type V1Job } from '@kubernetes/client-node';
import { createHub, loadConfig, silentLogger, type Evaluation, type Hub } from '@evalhub/core';
import lmEvalPlugin from '@evalhub/provider-lmeval';
import { LABELS } from '@evalhub/runtime-kubernetes';
import { SERVER_PACKAGE_DIR, startServer, type RunningServer } from '@evalhub/server';
import { MlflowClient } from '@evalhub/tracker-mlflow';
import { spawn } from 'node:child_process';
import { appendFileSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyHubRbac, freePort, repoRoot, resolvePython } from '../src/index.js';

// The in-pod worker "for real": kwok runs no container, so this test does what the kubelet and the
// container runtime would do with the Job the runtime created — it reads the Job back from the API
// server, resolves its env (secretKeyRef from the Secret), mounts the work emptyDir (a temp folder
// at the container's /work), runs the container's exact command as a local process and writes its
// output into the CRI log file kwok serves as the container log. The benchmark runs real lm-eval
// against the fixture model server (a stand-in for model weights) and records into a real MLflow;
// its score must equal the local runtime's to the last digit.
const ARC = join(repoRoot, 'packages', 'provider-lmeval', 'test', 'data', 'arc-sample.jsonl');
const WORKER_MAIN = join(repoRoot, 'packages', 'runtime-kubernetes', 'src', 'worker', 'main.ts');
const TSX = join(repoRoot, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs');

let python: string;
let top: string;
let dataRoot: string;
let ns: string;
let admin: { core: CoreV1Api; batch: BatchV1Api };
let tokenFile: string;

function adminKc(): KubeConfig {
  const c = inject('kubernetes');
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 't', server: c.apiUrl, caFile: c.caFile }],
    users: [{ name: 'a', token: c.adminToken }],
    contexts: [{ name: 't', cluster: 't', user: 'a' }],
    currentContext: 't',
  });
  return kc;
}

beforeAll(async () => {
  python = await resolvePython();
  top = realpathSync(await mkdtemp(join(tmpdir(), 'k8s-worker-')));
  dataRoot = join(top, 'data');
  await mkdir(dataRoot, { recursive: true });
  await copyFile(ARC, join(dataRoot, 'arc-sample.jsonl'));
  const kc = adminKc();
  admin = { core: kc.makeApiClient(CoreV1Api), batch: kc.makeApiClient(BatchV1Api) };
  ns = `worker-${process.pid}`;
  await admin.core.createNamespace({ body: { metadata: { name: ns } } });
  await applyHubRbac(kc, ns);
  const token = await admin.core.createNamespacedServiceAccountToken({
    name: 'eval-hub',
    namespace: ns,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  tokenFile = join(top, 'hub-token');
  await writeFile(tokenFile, token.status?.token ?? '', { mode: 0o600 });
});
afterAll(async () => {
  await admin?.core.deleteNamespace({ name: ns }).catch(() => undefined);
  if (top) await rm(top, { recursive: true, force: true });
});

const request = {
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

async function hubConfig(name: string, extra: Record<string, string> = {}) {
  const dir = join(top, name);
  await mkdir(dir, { recursive: true });
  return loadConfig({
    cwd: dir,
    env: {
      EVALHUB_DISCOVER_PLUGINS: 'false',
      EVALHUB_PYTHON: python,
      EVALHUB_DATA_ROOT: dataRoot,
      EVALHUB_DATA_DIR: join(dir, 'state'),
      EVALHUB_MODEL_SERVERS: `fixture=${inject('fixtureModelUrl')}/v1`,
      MLFLOW_TRACKING_URI: inject('mlflowTrackingUri'),
      MLFLOW_EXPERIMENT_PREFIX: `k8s-${process.pid}`,
      ...extra,
    },
  });
}

/**
 * The config with another runtime. Its `env` (MLFLOW_TRACKING_URI and the rest, read by the plugins)
 * is not enumerable, so a plain spread would drop it: the hub's MLflow tracker would then talk to
 * the default 127.0.0.1:5000.
 */
function withRuntime<C extends { env: unknown }>(config: C, runtime: unknown): C {
  const out = { ...config, runtime };
  Object.defineProperty(out, 'env', { value: config.env, enumerable: false });
  return out;
}

/** Runs a Job's container as the kubelet would, with the work emptyDir at `emptyDir`. */
async function runContainer(job: V1Job, emptyDir: string, criLog: string): Promise<number | null> {
  const c = job.spec?.template.spec?.containers[0];
  if (!c?.command) throw new Error('the Job has no container command');
  const mount = c.volumeMounts?.find((m) => m.name === 'work')?.mountPath ?? '/work';
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const e of c.env ?? []) {
    if (e.value !== undefined)
      env[e.name] = e.value.startsWith(mount) ? emptyDir + e.value.slice(mount.length) : e.value;
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      const secret = await admin.core.readNamespacedSecret({ name: ref.name ?? '', namespace: ns });
      env[e.name] = Buffer.from(secret.data?.[ref.key] ?? '', 'base64').toString('utf8');
    }
  }
  const [cmd, ...args] = c.command;
  const child = spawn(cmd ?? '', [...args, ...(c.args ?? [])], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const cri = (stream: 'stdout' | 'stderr') => {
    let pending = '';
    return (chunk: Buffer): void => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) appendFileSync(criLog, `${new Date().toISOString()} ${stream} F ${line}\n`);
    };
  };
  child.stdout.on('data', cri('stdout'));
  child.stderr.on('data', cri('stderr'));
  return new Promise((resolve) => child.once('close', (code) => resolve(code)));
}

async function mlflowAcc(evaluation: Evaluation): Promise<number | undefined> {
  const client = new MlflowClient({ trackingUri: inject('mlflowTrackingUri') });
  const run = await client.getRun(evaluation.tracking.run_id ?? '');
  return run.data.metrics.find((m) => m.key === 'arc_easy.acc')?.value;
}

describe('the Kubernetes worker, run as the Job says', () => {
  it('scores arc_easy exactly as the local runtime does, through the callback and the pod log', async () => {
    // 1. the local runtime
    let local: Hub | undefined;
    let localEval: Evaluation;
    try {
      local = await createHub({
        config: await hubConfig('local'),
        plugins: [{ plugin: lmEvalPlugin as never, options: { concurrency: 4 } }],
        resolveFrom: [SERVER_PACKAGE_DIR],
        logger: silentLogger(),
      });
      localEval = await local.evaluate(request);
    } finally {
      await local?.close();
    }
    expect(localEval.status).toBe('completed');

    // 2. the Kubernetes runtime, behind the real HTTP server (the worker calls back to it)
    const port = await freePort();
    const config = await hubConfig('k8s');
    const runtimeOptions = {
      namespace: ns,
      image: 'registry.example.invalid/evalhub:test',
      callback_url: `http://127.0.0.1:${port}`,
      worker_command: [process.execPath, '--import', TSX, WORKER_MAIN],
      kube: {
        server: inject('kubernetes').apiUrl,
        token_file: tokenFile,
        ca_file: inject('kubernetes').caFile,
      },
      // kwok keeps the pod Running; the worker's `done` callback ends the attempt
      pod: { service_account: 'eval-hub-benchmark', annotations: { 'evalhub.test/outcome': 'run' } },
    };
    let server: RunningServer | undefined;
    try {
      server = await startServer({
        host: '127.0.0.1',
        port,
        hubOptions: {
          plugins: [{ plugin: lmEvalPlugin as never, options: { concurrency: 4 } }],
          logger: silentLogger(),
        },
        // selected by config, as an operator would: `runtime: {name, options}`
        config: withRuntime(config, { name: '@evalhub/runtime-kubernetes', options: runtimeOptions }),
      });
      const hub = server.hub;
      expect(hub.runtime.name).toBe('kubernetes');
      const res = await fetch(`${server.url}/api/v1/evaluations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(request),
      });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };

      const job = await (async () => {
        for (;;) {
          const jobs = await admin.batch.listNamespacedJob({
            namespace: ns,
            labelSelector: `${LABELS.evaluation}=${id}`,
          });
          if (jobs.items[0]) return jobs.items[0];
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      const emptyDir = join(top, 'pod-work');
      await mkdir(emptyDir, { recursive: true });
      const code = await runContainer(job, emptyDir, inject('kubernetes').kwokLogFile);
      expect(code).toBe(0);
      const k8sEval = await hub.service.wait(id);
      expect(k8sEval.status).toBe('completed');

      const localAcc = localEval.benchmarks[0]?.results?.metrics?.acc;
      const k8sAcc = k8sEval.benchmarks[0]?.results?.metrics?.acc;
      expect(typeof localAcc).toBe('number');
      expect(k8sAcc).toBe(localAcc);
      expect(k8sEval.benchmarks[0]?.results?.metrics).toEqual(localEval.benchmarks[0]?.results?.metrics);
      // and in MLflow, as each hub recorded it
      await hub.close();
      expect(await mlflowAcc(k8sEval)).toBe(await mlflowAcc(localEval));

      // the benchmark's log came through the pod log API and holds lm-eval's own output
      const logs = await readFile(join(config.dataDir, 'evaluations', id, 'logs', '0-arc_easy.log'), 'utf8');
      expect(logs).toContain('[evalhub kubernetes] pod');
      expect(logs).toContain('Requesting API');
    } finally {
      await server?.close();
    }
  });
});
