import type { Evaluation, EvaluationEvent } from '@evalhub/core';
import { until } from '@evalhub/core/testing';
import { LABELS } from '@evalhub/runtime-kubernetes';
import { HubClient } from '@evalhub/server';
import type { V1Job } from '@kubernetes/client-node';
import { realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, resolvePython, type HubNamespace } from '../src/index.js';
import { startHubProcess, type HubProcess } from '../src/testing/hub-process.js';
import { api } from './hub-api.js';
import { kubeletMode, kubeletStandIn, type KubeletStandIn } from './kubelet-stand-in.js';
import {
  ARC_REQUEST,
  arcDataRoot,
  hubEnv,
  hubNamespace,
  localReference,
  mlflowAcc,
} from './kubernetes-e2e.js';

// A whole hub — `evalhub serve` as its own OS process, runtime @evalhub/runtime-kubernetes chosen
// by its config file, the SQLite store in its data dir, a token of the hub's ServiceAccount bound
// only to the project's Role — is SIGKILLed while its benchmark's Job runs, and a new process on
// the same data dir and config re-attaches: no second Job (same uid, one Job for the evaluation's
// labels), the same attempt, and the Job then finishes through the new hub. The Job's container
// is run only after the restart, by the kubelet stand-in (./kubelet-stand-in.ts: kwok, the node
// agent, runs no container), so every worker callback — spec, inputs, lines, outputs, done — reaches
// the new hub with the token from the Secret that survived the crash. Real lm-eval against the
// fixture model server, a real MLflow; the score must be the local runtime's to the last digit (as
// in kubernetes-worker.k8s.test.ts). Mode: podman in CI (EVALHUB_CONTAINER_TEST=1), else a process.
let top: string;
let dataRoot: string;
let ns: HubNamespace;
let kubelet: KubeletStandIn;
let config: string;
let env: Record<string, string>;
let port: number;
let reference: Evaluation;
const hubs: HubProcess[] = [];

beforeAll(async () => {
  const python = await resolvePython();
  top = realpathSync(await mkdtemp(join(tmpdir(), 'k8s-hub-crash-')));
  dataRoot = join(top, 'data');
  await arcDataRoot(dataRoot);
  reference = await localReference(join(top, 'local'), { python, dataRoot });
  ns = await hubNamespace(`hub-crash-${process.pid}`, top);
  kubelet = await kubeletStandIn({
    core: ns.admin.core,
    namespace: ns.name,
    criLog: inject('kubernetes').kwokLogFile,
  });
  // Both hubs listen here: the Jobs' callback URL stays valid across the restart, as a Service's does.
  port = await freePort();
  env = hubEnv({ python: kubelet.python, dataRoot, dataDir: join(top, 'hub') });
  config = join(top, 'evalhub.config.json');
  await writeFile(
    config,
    JSON.stringify({
      plugins: [{ name: '@evalhub/provider-lmeval', options: { concurrency: 4 } }],
      runtime: {
        name: '@evalhub/runtime-kubernetes',
        options: {
          ...kubelet.runtimeOptions,
          namespace: ns.name,
          callback_url: `http://127.0.0.1:${port}`,
          kube: ns.kube,
          // kwok keeps the pod Running until the worker's `done` callback ends the attempt
          pod: { service_account: 'eval-hub-benchmark', annotations: { 'evalhub.test/outcome': 'run' } },
        },
      },
    }),
  );
});

afterAll(async () => {
  for (const h of hubs) await h.stop('SIGKILL');
  await kubelet?.close();
  await ns?.admin.core.deleteNamespace({ name: ns.name }).catch(() => undefined);
  if (top) await rm(top, { recursive: true, force: true });
});

const startHub = async (): Promise<HubProcess> => {
  const hub = await startHubProcess({ config, env, port, timeoutMs: 180_000 });
  hubs.push(hub);
  return hub;
};

/** The Jobs of the evaluation, from the API server. */
const jobsOf = async (id: string): Promise<V1Job[]> =>
  (
    await ns.admin.batch.listNamespacedJob({
      namespace: ns.name,
      labelSelector: `${LABELS.evaluation}=${id}`,
    })
  ).items;

/** The benchmark's log lines through the HTTP API. */
const logLines = async (hub: HubProcess, id: string): Promise<string[]> =>
  (await new HubClient({ url: hub.url }).logs(id)).benchmarks[0]?.lines ?? [];

describe(`a hub SIGKILLed while its Kubernetes Job runs (${kubeletMode()})`, () => {
  it('restarts on the same data, re-attaches to the same Job and finishes it with the same score', async () => {
    const first = await startHub();
    const submitted = await api<Evaluation>(first, 'POST', '/api/v1/evaluations', ARC_REQUEST);
    expect(submitted.status).toBe(202);
    const id = submitted.body.id;

    // The Job and its token Secret; the first hub follows its pod (Running on the kwok node).
    const job = await until('the Job', async () => (await jobsOf(id))[0]);
    const jobName = job.metadata!.name!;
    const jobUid = job.metadata!.uid;
    expect(job.metadata!.labels).toMatchObject({ [LABELS.attempt]: '1', [LABELS.benchmarkIndex]: '0' });
    const secret = await until(
      'the token Secret',
      () => ns.admin.core.readNamespacedSecret({ name: jobName, namespace: ns.name }),
      { retryErrors: true },
    );
    const podRunning = (lines: string[]) =>
      lines.filter((l) => /\[evalhub kubernetes\] pod \S+ running/.test(l));
    await until(
      'the first hub to follow the running pod',
      async () => podRunning(await logLines(first, id)).length === 1,
    );

    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    // The Job outlives its hub.
    const survivor = await ns.admin.batch.readNamespacedJob({ name: jobName, namespace: ns.name });
    expect(survivor.metadata?.uid).toBe(jobUid);
    expect(survivor.status?.active).toBe(1);

    const second = await startHub();
    expect(second.url).toBe(first.url);
    const events: EvaluationEvent[] = [];
    const following = (async () => {
      for await (const e of new HubClient({ url: second.url }).events(id)) events.push(e);
    })().catch((err: unknown) => err);

    // Re-attached: the new hub follows the same pod (its note in the log, through the API), the
    // benchmark is running in its first attempt, and there is still exactly one Job.
    await until(
      'the new hub to follow the pod',
      async () => podRunning(await logLines(second, id)).length === 2,
      { timeoutMs: 180_000 },
    );
    const resumed = (await api<Evaluation>(second, 'GET', `/api/v1/evaluations/${id}`)).body;
    expect(resumed.benchmarks[0]).toMatchObject({ status: 'running', attempts: 1 });
    const jobs = await jobsOf(id);
    expect(jobs.map((j) => j.metadata?.uid)).toEqual([jobUid]);
    expect(jobs[0]!.metadata!.labels![LABELS.attempt]).toBe('1');
    const kept = await ns.admin.core.readNamespacedSecret({ name: jobName, namespace: ns.name });
    expect(kept.metadata?.uid).toBe(secret.metadata?.uid);
    expect(kept.data?.token).toBe(secret.data?.token);

    // Only now does the Job's container run: every callback goes to the new hub.
    const run = await kubelet.runJob(jobName);
    expect(run.exitCode).toBe(0);
    expect(run.argv.join(' ')).not.toContain(Buffer.from(secret.data!.token!, 'base64').toString('utf8'));
    process.stdout.write(`[kubelet] ${kubelet.mode} mode ran Job ${jobName} after the restart\n`);

    const done = await until(
      'the evaluation to complete and sync to MLflow',
      async () => {
        const e = (await api<Evaluation>(second, 'GET', `/api/v1/evaluations/${id}`)).body;
        return e.status !== 'running' && e.status !== 'pending' && e.tracking.state !== 'pending'
          ? e
          : undefined;
      },
      { timeoutMs: 300_000, intervalMs: 250 },
    );
    expect(done.status, JSON.stringify(done.benchmarks[0]?.error)).toBe('completed');
    expect(done.benchmarks[0]?.attempts).toBe(1);
    const acc = done.benchmarks[0]?.results?.metrics?.acc;
    expect(typeof acc).toBe('number');
    expect(acc).toBe(reference.benchmarks[0]?.results?.metrics?.acc);
    expect(done.benchmarks[0]?.results?.metrics).toEqual(reference.benchmarks[0]?.results?.metrics);
    expect(done.tracking.state).toBe('synced');
    expect(await mlflowAcc(done)).toBe(await mlflowAcc(reference));

    // What the new hub streamed: lm-eval's progress from the worker's lines and the final result.
    expect(await following).toBeUndefined();
    expect(events.some((e) => e.type === 'progress' && /request|api/i.test(e.progress?.message ?? ''))).toBe(
      true,
    );
    expect(events.at(-1)).toMatchObject({ type: 'result', evaluation: { status: 'completed' } });
    // and its log: after the new hub's note, lm-eval's output of this very attempt (kwok serves one
    // log file for every container; this line names the attempt's folder) from the pod log API
    const lines = await logLines(second, id);
    const reattached = lines.lastIndexOf(podRunning(lines)[1]!);
    const own = lines.findIndex((l) => l.includes(`evaluations/${id}/work/0-arc_easy/attempt-1/tasks`));
    expect(own).toBeGreaterThan(reattached);
    expect(lines.slice(reattached).some((l) => l.includes('Requesting API'))).toBe(true);

    // Still the one Job, of attempt 1.
    expect((await jobsOf(id)).map((j) => j.metadata?.uid)).toEqual([jobUid]);
    expect(await second.stop('SIGTERM')).toBe(0);
  });
});
