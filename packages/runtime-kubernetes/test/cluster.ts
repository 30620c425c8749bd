import { applyHubRbac } from '@evalhub/tools';
import { until as untilValue } from '@evalhub/core/testing';
import { BatchV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { KubernetesRuntimeOptions } from '../src/options.js';

export function cluster(): ReturnType<typeof inject<'kubernetes'>> {
  return inject('kubernetes');
}

/** Cluster-admin access, for test set-up and for reading back what the runtime made. */
export function adminKubeConfig(): KubeConfig {
  const c = cluster();
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: c.apiUrl, caFile: c.caFile, skipTLSVerify: false }],
    users: [{ name: 'admin', token: c.adminToken }],
    contexts: [{ name: 'test', cluster: 'test', user: 'admin' }],
    currentContext: 'test',
  });
  return kc;
}

export interface TestNamespace {
  name: string;
  admin: { core: CoreV1Api; batch: BatchV1Api; objects: KubernetesObjectApi };
  /** File holding a token of ServiceAccount eval-hub, bound only to the project's Role. */
  hubTokenFile: string;
  /** Runtime connection options that use that token (never cluster admin). */
  kube: NonNullable<KubernetesRuntimeOptions['kube']>;
}

let counter = 0;

/**
 * A fresh namespace with the project's own RBAC manifest applied (deploy/kubernetes/overlays/jobs/
 * rbac.yaml) and a token of its `eval-hub` ServiceAccount, so the runtime runs with exactly the
 * permissions an operator grants.
 */
export async function createTestNamespace(
  prefix: string,
  o: { rbac?: boolean } = {},
): Promise<TestNamespace> {
  const kc = adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const name = `${prefix}-${process.pid}-${++counter}`.slice(0, 63);
  await core.createNamespace({ body: { metadata: { name } } });
  await applyHubRbac(kc, name, { roles: o.rbac !== false });
  const token = await core.createNamespacedServiceAccountToken({
    name: 'eval-hub',
    namespace: name,
    body: { spec: { expirationSeconds: 3600, audiences: [] } },
  });
  const dir = await mkdtemp(join(tmpdir(), 'evalhub-k8s-token-'));
  const hubTokenFile = join(dir, 'token');
  await writeFile(hubTokenFile, token.status?.token ?? '', { mode: 0o600 });
  const c = cluster();
  return {
    name,
    admin: { core, batch, objects },
    hubTokenFile,
    kube: { server: c.apiUrl, token_file: hubTokenFile, ca_file: c.caFile },
  };
}

/** Waits until `check` returns a value, polling the API server's read-back (a failed read is "not yet"). */
export const until = <T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<Exclude<T, undefined | false>> =>
  untilValue(what, check, { timeoutMs, retryErrors: true, intervalMs: 200 });
