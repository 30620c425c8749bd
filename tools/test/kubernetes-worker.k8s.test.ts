import { silentLogger, type Evaluation } from '@evalhub/core';
import lmEvalPlugin from '@evalhub/provider-lmeval';
import { LABELS } from '@evalhub/runtime-kubernetes';
import { startServer, type RunningServer } from '@evalhub/server';
import { realpathSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@evalhub/core/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, resolvePython, type HubNamespace } from '../src/index.js';
import { kubeletMode, kubeletStandIn, type KubeletStandIn } from './kubelet-stand-in.js';
import {
  ARC_REQUEST,
  arcDataRoot,
  hubConfig,
  hubNamespace,
  localReference,
  mlflowAcc,
} from './kubernetes-e2e.js';
import { IMAGE } from './podman.js';
import { processesMentioning } from './processes.js';

// The in-pod worker "for real". The test cluster's node agent is kwok: it moves Pods through their
// phases but runs no container (a real kubelet would need a container runtime and images from a
// registry this machine cannot reach), so the kubelet stand-in (./kubelet-stand-in.ts) does the
// kubelet's part with the Job the runtime created: it reads the Pod back from the API server,
// resolves its env (the per-attempt token from the Secret), mounts the work emptyDir, runs the
// container's exact command and writes its output into the CRI log file kwok serves as the pod log.
//
// Which mode ran: in CI (.ci/run: EVALHUB_CONTAINER_TEST=1) `podman` — the container runs in the
// project's image, as the image's user 10001 with a read-only root filesystem, no privilege
// escalation and every capability dropped, the Job's `evalhub-k8s-worker` as its entrypoint, the
// env through a 0600 env file, `--network host` to reach the hub's callback and the fixture model on
// 127.0.0.1. Without the image (a developer's `npm test`) `process`: the same command, env and
// mount as a local process. The test's name and output say which.
//
// The benchmark runs real lm-eval against the fixture model server (a stand-in for model weights)
// and records into a real MLflow; its score must equal the local runtime's to the last digit.
let python: string;
let top: string;
let dataRoot: string;
let ns: HubNamespace;
let kubelet: KubeletStandIn | undefined;

beforeAll(async () => {
  python = await resolvePython();
  top = realpathSync(await mkdtemp(join(tmpdir(), 'k8s-worker-')));
  dataRoot = join(top, 'data');
  await arcDataRoot(dataRoot);
  ns = await hubNamespace(`worker-${process.pid}`, top);
});
afterAll(async () => {
  await kubelet?.close();
  await ns?.admin.core.deleteNamespace({ name: ns.name }).catch(() => undefined);
  if (top) await rm(top, { recursive: true, force: true });
});

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

describe('the Kubernetes worker, run as the Job says', () => {
  it(`scores arc_easy exactly as the local runtime does, through the callback and the pod log (${kubeletMode()})`, async () => {
    // 1. the local runtime
    const localEval = await localReference(join(top, 'local'), { python, dataRoot });
    expect(localEval.status).toBe('completed');

    // 2. the Kubernetes runtime, behind the real HTTP server (the worker calls back to it)
    kubelet = await kubeletStandIn({
      core: ns.admin.core,
      namespace: ns.name,
      criLog: inject('kubernetes').kwokLogFile,
    });
    const port = await freePort();
    // the commands name the interpreter of the Job's container (the image's in podman mode)
    const config = await hubConfig(join(top, 'k8s'), { python: kubelet.python, dataRoot });
    const runtimeOptions = {
      ...kubelet.runtimeOptions,
      namespace: ns.name,
      callback_url: `http://127.0.0.1:${port}`,
      kube: ns.kube,
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
        body: JSON.stringify(ARC_REQUEST),
      });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };

      const job = await until('the Job', async () => {
        const jobs = await ns.admin.batch.listNamespacedJob({
          namespace: ns.name,
          labelSelector: `${LABELS.evaluation}=${id}`,
        });
        return jobs.items[0];
      });
      const jobName = job.metadata?.name ?? '';
      const secret = await ns.admin.core.readNamespacedSecret({ name: jobName, namespace: ns.name });
      const token = Buffer.from(secret.data?.token ?? '', 'base64').toString('utf8');
      expect(token.length).toBeGreaterThan(20);

      // While the container runs, no command line on this machine (podman, conmon, the worker,
      // lm-eval) may hold the token; lm-eval's own process shows the scan saw the container's.
      const leaks = new Set<string>();
      let sawEngine = false;
      const scan = setInterval(() => {
        for (const p of processesMentioning(token)) leaks.add(String(p.pid));
        if (processesMentioning('lm_eval').length > 0) sawEngine = true;
      }, 50);
      const run = await kubelet.runJob(jobName).finally(() => clearInterval(scan));
      expect(run.exitCode).toBe(0);
      expect(run.argv.join(' ')).not.toContain(token);
      expect([...leaks]).toEqual([]);
      expect(sawEngine).toBe(true);
      if (kubelet.mode === 'podman') {
        const c = run.inspect!;
        expect(c.ImageName).toBe(IMAGE);
        // the Job's command replaced the image's `tini -- evalhub` (podman 4 shows a one-word entrypoint as a string)
        expect([c.Config.Entrypoint].flat()).toEqual(['evalhub-k8s-worker']);
        expect(c.Config.User).toBe('10001');
        expect(c.HostConfig.ReadonlyRootfs).toBe(true);
        expect(c.HostConfig.SecurityOpt).toContain('no-new-privileges');
        expect(c.HostConfig.CapDrop).toEqual(expect.arrayContaining(['CAP_SETUID', 'CAP_NET_RAW']));
        expect(c.HostConfig.NetworkMode).toBe('host');
      }
      process.stdout.write(`[kubelet] ${kubelet.mode} mode ran Job ${jobName}: ${kubelet.reason}\n`);

      const k8sEval: Evaluation = await hub.service.wait(id);
      expect(k8sEval.status).toBe('completed');
      const localAcc = localEval.benchmarks[0]?.results?.metrics?.acc;
      const k8sAcc = k8sEval.benchmarks[0]?.results?.metrics?.acc;
      expect(typeof localAcc).toBe('number');
      expect(k8sAcc).toBe(localAcc);
      expect(k8sEval.benchmarks[0]?.results?.metrics).toEqual(localEval.benchmarks[0]?.results?.metrics);
      // and in MLflow, as each hub recorded it
      await hub.close();
      expect(await mlflowAcc(k8sEval)).toBe(await mlflowAcc(localEval));

      // the benchmark's log came through the pod log API and holds lm-eval's own output of this
      // attempt (kwok serves one log file for every container; this line names the attempt's folder)
      const logs = await readFile(join(config.dataDir, 'evaluations', id, 'logs', '0-arc_easy.log'), 'utf8');
      expect(logs).toContain('[evalhub kubernetes] pod');
      expect(logs).toContain(`evaluations/${id}/work/0-arc_easy/attempt-1/tasks`);
      expect(logs).toContain('Requesting API');
    } finally {
      await server?.close();
    }
  });
});
