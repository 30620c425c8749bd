import { SchedulingV1Api } from '@kubernetes/client-node';
import { BenchmarkFailedError, createRunContext, silentLogger } from '@evalhub/core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobName } from '../src/labels.js';
import type { KubernetesRuntime } from '../src/kubernetes-runtime.js';
import { adminKubeConfig, createTestNamespace, until, type TestNamespace } from './cluster.js';
import { execRequest, makeRuntime, tempDir } from './helpers.js';

// Against the real control plane (kube-apiserver, controller manager, scheduler) with kwok as the
// node agent; the runtime uses a token of the project's Role (deploy/kubernetes/overlays/jobs).
let ns: TestNamespace;
let runtime: KubernetesRuntime;
let dir: string;

beforeAll(async () => {
  ns = await createTestNamespace('runtime');
  runtime = makeRuntime(ns);
  await runtime.start();
  dir = await tempDir();
});
afterAll(() => runtime?.close());

describe('KubernetesRuntime on a real API server', () => {
  it('creates the Job as configured: checked field by field as the API server returns it', async () => {
    const scheduling = adminKubeConfig().makeApiClient(SchedulingV1Api);
    await scheduling
      .createPriorityClass({ body: { metadata: { name: 'evalhub-test' }, value: 1000 } })
      .catch(() => undefined);
    await ns.admin.core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: 'hf' }, stringData: { token: 'hf_secret' } },
    });
    const specRuntime = makeRuntime(ns, {
      ttl_seconds_after_finished: 120,
      image_pull_policy: 'IfNotPresent',
      pod: {
        service_account: 'eval-hub-benchmark',
        resources: {
          requests: { cpu: '500m', memory: '1Gi' },
          limits: { memory: '2Gi', 'nvidia.com/gpu': '1' },
        },
        node_selector: { type: 'kwok' },
        tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] },
              ],
            },
          },
        },
        env: [{ name: 'HF_TOKEN', secret: { name: 'hf', key: 'token' } }],
        volumes: [{ name: 'hf-cache', emptyDir: {} }],
        volume_mounts: [{ name: 'hf-cache', mount_path: '/work/home/.cache/huggingface' }],
        queue_name: 'team-a',
        priority_class: 'evalhub-test',
      },
    });
    await specRuntime.start();
    try {
      const req = execRequest(dir, { provider: 'succeed', index: 3, attempt: 2, timeoutSeconds: 600 });
      const result = await specRuntime.exec(req);
      expect(result).toMatchObject({ exitCode: 0, aborted: false });

      const name = jobName(req.labels);
      const job = await ns.admin.batch.readNamespacedJob({ name, namespace: ns.name });
      const labels = job.metadata?.labels ?? {};
      expect(labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'evalhub',
        'evalhub.io/hub': 'evalhub',
        'evalhub.io/evaluation-id': req.labels.evaluationId,
        'evalhub.io/benchmark-index': '3',
        'evalhub.io/attempt': '2',
        'kueue.x-k8s.io/queue-name': 'team-a',
      });
      expect(job.metadata?.annotations).toMatchObject({
        'evalhub.io/benchmark-id': 'arc_easy',
        'evalhub.io/provider-id': 'succeed',
      });
      expect(job.metadata?.ownerReferences ?? []).toEqual([]);
      expect(job.spec?.backoffLimit).toBe(0);
      expect(job.spec?.ttlSecondsAfterFinished).toBe(120);
      expect(job.spec?.activeDeadlineSeconds).toBe(600);
      const pod = job.spec?.template.spec;
      expect(pod?.restartPolicy).toBe('Never');
      expect(pod?.automountServiceAccountToken).toBe(false);
      expect(pod?.serviceAccountName).toBe('eval-hub-benchmark');
      expect(pod?.priorityClassName).toBe('evalhub-test');
      expect(pod?.nodeSelector).toEqual({ type: 'kwok' });
      expect(pod?.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
      expect(
        pod?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
      ).toHaveLength(1);
      expect(pod?.securityContext).toEqual({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      const c = pod?.containers[0];
      expect(c?.name).toBe('benchmark');
      expect(c?.image).toBe('registry.example.invalid/evalhub:test');
      expect(c?.imagePullPolicy).toBe('IfNotPresent');
      expect(c?.command).toEqual(['evalhub-k8s-worker']);
      expect(c?.args).toBeUndefined();
      expect(c?.securityContext).toEqual({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(c?.resources?.requests).toEqual({ cpu: '500m', memory: '1Gi' });
      expect(c?.resources?.limits).toEqual({ memory: '2Gi', 'nvidia.com/gpu': '1' });
      expect(c?.volumeMounts).toEqual([
        { name: 'work', mountPath: '/work' },
        { name: 'hf-cache', mountPath: '/work/home/.cache/huggingface' },
      ]);
      expect(pod?.volumes?.map((v) => v.name)).toEqual(['work', 'hf-cache']);
      expect(pod?.volumes?.[0]?.emptyDir?.sizeLimit).toBe('20Gi');
      const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e]));
      expect(env.EVALHUB_ATTEMPT_ID?.value).toBe(name);
      expect(env.EVALHUB_CALLBACK_URL?.value).toBe('http://127.0.0.1:9/');
      expect(env.EVALHUB_WORKER_TOKEN?.valueFrom?.secretKeyRef).toEqual({ name, key: 'token' });
      expect(env.HF_TOKEN?.valueFrom?.secretKeyRef).toEqual({ name: 'hf', key: 'token', optional: false });
      // no secret in the Job: neither the worker token nor the command's environment (API key)
      const text = JSON.stringify(job);
      expect(text).not.toContain('sk-test-secret-value');
      const secret = await ns.admin.core.readNamespacedSecret({ name, namespace: ns.name });
      const token = Buffer.from(secret.data?.token ?? '', 'base64').toString();
      expect(token.length).toBeGreaterThanOrEqual(40);
      expect(text).not.toContain(token);
      expect(secret.metadata?.ownerReferences?.[0]).toMatchObject({
        kind: 'Job',
        name,
        uid: job.metadata?.uid,
      });
      // the scheduler placed it on the kwok node, which has GPUs
      const pods = await ns.admin.core.listNamespacedPod({
        namespace: ns.name,
        labelSelector: `job-name=${name}`,
      });
      expect(pods.items[0]?.spec?.nodeName).toBe('kwok-node-0');
    } finally {
      specRuntime.close();
    }
  });

  it("sets activeDeadlineSeconds from the benchmark timeout core's RunContext passes, else default_deadline_seconds", async () => {
    const deadlines = makeRuntime(ns, { default_deadline_seconds: 7200 });
    await deadlines.start();
    try {
      // as core's BenchmarkRunner runs a benchmark whose timeout_seconds is 900
      const { labels } = execRequest(dir, { provider: 'succeed', index: 20 });
      const ctx = await createRunContext({
        runtime: deadlines,
        signal: new AbortController().signal,
        workDir: join(dir, 'deadline-work'),
        artifactDir: join(dir, 'deadline-artifacts'),
        artifactPrefix: 'arc_easy',
        logFile: join(dir, '20.log'),
        labels,
        timeoutSeconds: 900,
        logger: silentLogger(),
      });
      expect(await ctx.exec({ command: 'python', args: ['-c', 'print(42)'], cwd: dir })).toMatchObject({
        exitCode: 0,
      });
      const job = await ns.admin.batch.readNamespacedJob({ name: jobName(labels), namespace: ns.name });
      expect(job.spec?.activeDeadlineSeconds).toBe(900);

      // a request that names no timeout gets the runtime's default
      const bare = execRequest(dir, { provider: 'succeed', index: 21 });
      expect((await deadlines.exec(bare)).exitCode).toBe(0);
      const defaulted = await ns.admin.batch.readNamespacedJob({
        name: jobName(bare.labels),
        namespace: ns.name,
      });
      expect(defaulted.spec?.activeDeadlineSeconds).toBe(7200);
    } finally {
      deadlines.close();
    }
  });

  it('succeeds, streaming the pod log into the log file', async () => {
    const req = execRequest(dir, { provider: 'succeed', index: 10 });
    const result = await runtime.exec(req);
    expect(result.exitCode).toBe(0);
    const log = await readFile(req.logFile, 'utf8');
    expect(log).toContain('kwok: this node runs no container');
    expect(log).toMatch(/\[evalhub kubernetes\] pod eh-.* running/);
  });

  it('reports a failed command with its exit code, and OOMKilled with the reason', async () => {
    const failed = await runtime.exec(execRequest(dir, { provider: 'fail', index: 11 }));
    expect(failed).toMatchObject({ exitCode: 3, aborted: false });
    expect(failed.reason).toMatch(/exit code 3/);
    const oomReq = execRequest(dir, { provider: 'oom', index: 12 });
    const oom = await runtime.exec(oomReq);
    expect(oom).toMatchObject({ exitCode: 137, signal: 'SIGKILL' });
    expect(oom.reason).toMatch(/^OOMKilled: .*resources\.limits\.memory/);
    expect(await readFile(oomReq.logFile, 'utf8')).toContain('OOMKilled');
  });

  it('fails with the pod reason when the cluster cannot run it: ImagePullBackOff, Evicted, Unschedulable', async () => {
    await expect(runtime.exec(execRequest(dir, { provider: 'imagepull', index: 13 }))).rejects.toThrow(
      /ImagePullBackOff: Back-off pulling image "registry.example.invalid\/evalhub:test"/,
    );
    await expect(runtime.exec(execRequest(dir, { provider: 'evicted', index: 14 }))).rejects.toThrow(
      /Evicted: The node was low on resource: memory/,
    );
    const unschedulable = runtime.exec(
      execRequest(dir, { provider: 'unschedulable', index: 15, timeoutSeconds: 3 }),
    );
    await expect(unschedulable).rejects.toThrow(/DeadlineExceeded.*Unschedulable: 0\/1 nodes are available/);
    await expect(unschedulable).rejects.toBeInstanceOf(BenchmarkFailedError);
  });

  it('fails a Job that runs past its deadline with DeadlineExceeded', async () => {
    const err = await runtime
      .exec(execRequest(dir, { provider: 'run', index: 16, timeoutSeconds: 2 }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BenchmarkFailedError);
    expect((err as BenchmarkFailedError).code).toBe('kubernetes_deadline_exceeded');
    expect((err as Error).message).toMatch(/DeadlineExceeded/);
  });

  it('cancels: deletes the Job with background propagation and resolves once the pod is gone', async () => {
    const abort = new AbortController();
    const req = execRequest(dir, { provider: 'run', index: 17, signal: abort.signal });
    const name = jobName(req.labels);
    const running = runtime.exec(req);
    await until('the pod to run', async () => {
      const pods = await ns.admin.core.listNamespacedPod({
        namespace: ns.name,
        labelSelector: `job-name=${name}`,
      });
      return pods.items.some((p) => p.status?.phase === 'Running') ? true : undefined;
    });
    abort.abort(new Error('cancelled by the test'));
    const result = await running;
    expect(result.aborted).toBe(true);
    const pods = await ns.admin.core.listNamespacedPod({
      namespace: ns.name,
      labelSelector: `job-name=${name}`,
    });
    expect(pods.items).toEqual([]);
    await expect(ns.admin.batch.readNamespacedJob({ name, namespace: ns.name })).rejects.toMatchObject({
      code: 404,
    });
  });

  it('runs 50 benchmarks at once', async () => {
    const evaluationId = crypto.randomUUID();
    const requests = Array.from({ length: 50 }, (_, i) =>
      execRequest(dir, { provider: 'succeed', index: 100 + i, evaluationId }),
    );
    const results = await Promise.all(requests.map((r) => runtime.exec(r)));
    expect(results.map((r) => r.exitCode)).toEqual(Array(50).fill(0));
    const jobs = await ns.admin.batch.listNamespacedJob({
      namespace: ns.name,
      labelSelector: `evalhub.io/evaluation-id=${evaluationId}`,
    });
    expect(jobs.items).toHaveLength(50);
    // the Job controller records success shortly after the pod's phase (which the runtime reads)
    await until('every Job to record its success', async () => {
      const j = await ns.admin.batch.listNamespacedJob({
        namespace: ns.name,
        labelSelector: `evalhub.io/evaluation-id=${evaluationId}`,
      });
      return j.items.every((x) => x.status?.succeeded === 1) ? true : undefined;
    });
  });
});
