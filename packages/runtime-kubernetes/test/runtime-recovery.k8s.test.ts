import { ConfigError, BenchmarkFailedError } from '@evalhub/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobName } from '../src/labels.js';
import { cluster, createTestNamespace, until, type TestNamespace } from './cluster.js';
import { execRequest, makeRuntime, tempDir } from './helpers.js';
import { TcpCut } from './tcp-cut.js';

// Losing the API server connection, permissions missing, and a hub restart re-attaching to its Jobs.
let ns: TestNamespace;
let dir: string;

beforeAll(async () => {
  ns = await createTestNamespace('recovery');
  dir = await tempDir();
});

/** Lets the Job's running pod end successfully (kwok's stage follows the pod's annotation). */
async function succeedPod(job: string): Promise<void> {
  const pods = await ns.admin.core.listNamespacedPod({
    namespace: ns.name,
    labelSelector: `job-name=${job}`,
  });
  await ns.admin.core.patchNamespacedPod({
    name: pods.items[0]?.metadata?.name ?? '',
    namespace: ns.name,
    body: [{ op: 'replace', path: '/metadata/annotations/evalhub.test~1outcome', value: 'succeed' }],
  });
}

/** The Jobs of an evaluation, as the API server lists them. */
async function jobsOf(evaluationId: string) {
  const jobs = await ns.admin.batch.listNamespacedJob({
    namespace: ns.name,
    labelSelector: `evalhub.io/evaluation-id=${evaluationId}`,
  });
  return jobs.items;
}

describe('KubernetesRuntime recovery', () => {
  const proxy = new TcpCut('127.0.0.1', Number(new URL(cluster().apiUrl).port));
  afterAll(() => proxy.close());

  it('re-lists after the watch connection is lost and sees what happened meanwhile', async () => {
    await proxy.start();
    const runtime = makeRuntime(ns, { kube: { ...ns.kube, server: `https://127.0.0.1:${proxy.port}` } });
    await runtime.start();
    try {
      const req = execRequest(dir, { provider: 'slow', index: 1 });
      const name = jobName(req.labels);
      const result = runtime.exec(req);
      await until('the pod to run', async () => {
        const pods = await ns.admin.core.listNamespacedPod({
          namespace: ns.name,
          labelSelector: `job-name=${name}`,
        });
        return pods.items.some((p) => p.status?.phase === 'Running') ? true : undefined;
      });
      proxy.disconnect();
      // the Job finishes while the hub cannot see the API server
      await until(
        'the Job to complete',
        async () => {
          const job = await ns.admin.batch.readNamespacedJob({ name, namespace: ns.name });
          return job.status?.succeeded === 1 ? true : undefined;
        },
        60_000,
      );
      const resyncsBefore = runtime.watch.resyncs;
      proxy.restore();
      expect((await result).exitCode).toBe(0);
      expect(runtime.watch.resyncs).toBeGreaterThan(resyncsBefore - 1);
      expect(runtime.watch.resyncs).toBeGreaterThan(0);
    } finally {
      runtime.close();
    }
  });

  it('follows a Job created while the Job watch re-lists, not reporting it deleted', async () => {
    const runtime = makeRuntime(ns);
    await runtime.start();
    try {
      const resyncsBefore = runtime.watch.jobs.resyncs;
      // the Job watch drops and waits out its back-off (0.5 s) while the pod watch stays: the new Job
      // is only not listed yet when the attempt subscribes, and its pod's events may come first
      runtime.watch.jobs.disconnect();
      const req = execRequest(dir, { provider: 'succeed', index: 6 });
      expect((await runtime.exec(req)).exitCode).toBe(0);
      expect(runtime.watch.jobs.resyncs).toBeGreaterThan(resyncsBefore);
      const job = await ns.admin.batch.readNamespacedJob({ name: jobName(req.labels), namespace: ns.name });
      expect(job.status?.succeeded).toBe(1);
    } finally {
      runtime.close();
    }
  });

  it('reports a Job deleted while the hub could not see the API server, once it re-lists', async () => {
    const cut = new TcpCut('127.0.0.1', Number(new URL(cluster().apiUrl).port));
    await cut.start();
    const runtime = makeRuntime(ns, { kube: { ...ns.kube, server: `https://127.0.0.1:${cut.port}` } });
    await runtime.start();
    try {
      const req = execRequest(dir, { provider: 'run', index: 7 });
      const name = jobName(req.labels);
      const result = runtime.exec(req).then(
        () => undefined,
        (err: unknown) => err,
      );
      await until('the pod to run', async () => {
        const pods = await ns.admin.core.listNamespacedPod({
          namespace: ns.name,
          labelSelector: `job-name=${name}`,
        });
        return pods.items.some((p) => p.status?.phase === 'Running') ? true : undefined;
      });
      cut.disconnect();
      await ns.admin.batch.deleteNamespacedJob({ name, namespace: ns.name, propagationPolicy: 'Background' });
      await until('the Job to be gone', async () =>
        ns.admin.batch.readNamespacedJob({ name, namespace: ns.name }).then(
          () => undefined,
          (e: { code?: number }) => (e.code === 404 ? true : undefined),
        ),
      );
      cut.restore();
      const err = await result;
      expect(err).toBeInstanceOf(BenchmarkFailedError);
      expect((err as BenchmarkFailedError).code).toBe('kubernetes_job_deleted');
      expect((err as Error).message).toContain(`${name} was deleted outside the hub`);
    } finally {
      runtime.close();
      await cut.close();
    }
  });

  it('refuses to start without the Role, naming the missing permissions and the fix', async () => {
    const bare = await createTestNamespace('norbac', { rbac: false });
    const runtime = makeRuntime(bare);
    const err = await runtime.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(`may not create jobs.batch`);
    expect((err as Error).message).toContain('get pods/log');
    expect((err as Error).message).toContain(`namespace '${bare.name}'`);
    expect((err as Error).message).toContain('deploy/kubernetes/overlays/jobs');
  });

  it('answers a permission lost at run time clearly (403 from the API server)', async () => {
    const ns2 = await createTestNamespace('revoked');
    const runtime = makeRuntime(ns2);
    await runtime.start();
    try {
      await ns2.admin.objects.delete({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'eval-hub-jobs', namespace: ns2.name },
      });
      const err = await until('the RBAC change to apply', async () => {
        const e = await runtime
          .exec(execRequest(dir, { provider: 'succeed', index: 2 }))
          .catch((x: unknown) => x);
        return e instanceof BenchmarkFailedError ? e : undefined;
      });
      expect(err.code).toBe('kubernetes_forbidden');
      expect(err.message).toMatch(/refused to create Job eh-.* in namespace 'revoked-/);
      expect(err.message).toContain('forbidden');
      expect(err.message).toContain('deploy/kubernetes/overlays/jobs');
    } finally {
      runtime.close();
    }
  });

  it('re-attaches to a running Job after a restart, and cleans up Jobs whose evaluation is gone', async () => {
    const first = makeRuntime(ns);
    await first.start();
    const req = execRequest(dir, { provider: 'run', index: 3 });
    const name = jobName(req.labels);
    void first.exec(req).catch(() => undefined);
    const orphan = execRequest(dir, { provider: 'run', index: 4 });
    void first.exec(orphan).catch(() => undefined);
    await until('both pods to run', async () => {
      const pods = await ns.admin.core.listNamespacedPod({
        namespace: ns.name,
        labelSelector: 'evalhub.io/hub=evalhub',
      });
      return pods.items.filter((p) => p.status?.phase === 'Running').length >= 2 ? true : undefined;
    });
    first.close(); // the hub "dies": no cancel, the Jobs keep running

    const second = makeRuntime(ns);
    await second.start();
    try {
      const found = await second.listAttempts();
      const mine = found.find((f) => f.jobName === name);
      expect(mine?.labels).toMatchObject({
        evaluationId: req.labels.evaluationId,
        benchmarkIndex: 3,
        attempt: 1,
      });
      expect(mine?.state.phase).toBe('running');

      const removed = await second.cleanup((id) => id !== orphan.labels.evaluationId);
      expect(removed).toEqual([jobName(orphan.labels)]);

      const attached = second.attach({ ...req, signal: new AbortController().signal });
      // the same Job, not a new one: let it finish
      await succeedPod(name);
      expect((await attached).exitCode).toBe(0);
      expect((await jobsOf(req.labels.evaluationId)).map((j) => j.metadata?.name)).toEqual([name]);
      await until('the orphan Job to be gone', async () =>
        (await jobsOf(orphan.labels.evaluationId)).length === 0 ? true : undefined,
      );
    } finally {
      second.close();
    }
  });

  it('re-attaches to a Job whose token Secret was never made (a hub killed between the two creates): makes it, owned by the Job', async () => {
    const runtime = makeRuntime(ns);
    await runtime.start();
    try {
      const stop = new AbortController();
      const req = execRequest(dir, { provider: 'run', index: 8, signal: stop.signal });
      const name = jobName(req.labels);
      const first = runtime.exec(req);
      const secret = await until('the token Secret', () =>
        ns.admin.core.readNamespacedSecret({ name, namespace: ns.name }),
      );
      stop.abort('shutdown');
      expect(await first).toMatchObject({ aborted: true });
      // the state a hub SIGKILLed right after creating the Job leaves: a Job without its Secret
      await ns.admin.core.deleteNamespacedSecret({ name, namespace: ns.name });
      await until('the Secret to be gone', async () =>
        ns.admin.core.readNamespacedSecret({ name, namespace: ns.name }).then(
          () => undefined,
          (e: { code?: number }) => (e.code === 404 ? true : undefined),
        ),
      );
      const job = await ns.admin.batch.readNamespacedJob({ name, namespace: ns.name });

      const again = runtime.exec({ ...req, signal: new AbortController().signal });
      const made = await until('a new token Secret', () =>
        ns.admin.core.readNamespacedSecret({ name, namespace: ns.name }),
      );
      expect(made.metadata?.uid).not.toBe(secret.metadata?.uid);
      expect(made.data?.token).not.toBe(secret.data?.token);
      expect(made.metadata?.ownerReferences).toMatchObject([{ kind: 'Job', name, uid: job.metadata?.uid }]);
      await succeedPod(name);
      expect((await again).exitCode).toBe(0);
      expect((await jobsOf(req.labels.evaluationId)).map((j) => j.metadata?.uid)).toEqual([
        job.metadata?.uid,
      ]);
    } finally {
      runtime.close();
    }
  });

  it('a graceful hub stop (abort reason shutdown) leaves the Job running; the next exec follows it', async () => {
    const runtime = makeRuntime(ns);
    await runtime.start();
    try {
      const stop = new AbortController();
      const req = execRequest(dir, { provider: 'run', index: 5, signal: stop.signal });
      const name = jobName(req.labels);
      const first = runtime.exec(req);
      await until('the pod to run', async () => {
        const pods = await ns.admin.core.listNamespacedPod({
          namespace: ns.name,
          labelSelector: `job-name=${name}`,
        });
        return pods.items.some((p) => p.status?.phase === 'Running') ? true : undefined;
      });
      stop.abort('shutdown');
      expect(await first).toMatchObject({ aborted: true });
      const job = await ns.admin.batch.readNamespacedJob({ name, namespace: ns.name });
      expect(job.metadata?.deletionTimestamp).toBeUndefined();

      // The next hub start runs the same attempt again: exec finds the Job and follows it.
      const again = runtime.exec({ ...req, signal: new AbortController().signal });
      await succeedPod(name);
      expect((await again).exitCode).toBe(0);
      expect((await jobsOf(req.labels.evaluationId)).map((j) => j.metadata?.name)).toEqual([name]);
    } finally {
      runtime.close();
    }
  });
});
