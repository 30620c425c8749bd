import { Log, VersionApi } from '@kubernetes/client-node';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { adminKubeConfig, createTestNamespace, until } from './cluster.js';

// The test control plane itself (tools/kubernetes/cluster.sh): a real kube-apiserver, controller
// manager and scheduler, kwok as the node agent. kwok runs no container: pod phases follow its
// stage rules (tools/kubernetes/kwok-stages.yaml) and every container's log is one fixed file.
describe('test Kubernetes control plane', () => {
  it('answers, and a Job gets a Pod that kwok moves to Succeeded', async () => {
    const kc = adminKubeConfig();
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe('v1.36.3');

    const ns = await createTestNamespace('smoke');
    await ns.admin.batch.createNamespacedJob({
      namespace: ns.name,
      body: {
        metadata: { name: 'hello' },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { annotations: { 'evalhub.test/run-ms': '200' } },
            spec: {
              restartPolicy: 'Never',
              serviceAccountName: 'eval-hub-benchmark',
              containers: [{ name: 'main', image: 'example.invalid/hello:1', command: ['true'] }],
            },
          },
        },
      },
    });
    const pod = await until('the pod to succeed', async () => {
      const pods = await ns.admin.core.listNamespacedPod({
        namespace: ns.name,
        labelSelector: 'job-name=hello',
      });
      return pods.items.find((p) => p.status?.phase === 'Succeeded');
    });
    expect(pod.spec?.nodeName).toBeTruthy();
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
    const job = await until('the Job to complete', async () => {
      const j = await ns.admin.batch.readNamespacedJob({ name: 'hello', namespace: ns.name });
      return j.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True') ? j : undefined;
    });
    expect(job.status?.succeeded).toBe(1);

    // the pod log API reaches kwok (the node's kubelet endpoint); kwok follows its log file forever
    let text = '';
    let seen: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => (seen = resolve));
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        text += chunk.toString();
        if (text.includes('kwok: this node runs no container')) seen();
        cb();
      },
    });
    const controller = await new Log(kc).log(
      ns.name,
      pod.metadata?.name ?? '',
      'main',
      sink,
      () => undefined,
      {
        follow: true,
      },
    );
    await arrived;
    controller.abort();
    expect(text).toContain('kwok: this node runs no container');
  });
});
