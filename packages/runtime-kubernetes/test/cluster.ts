import { adminKubeConfig as clusterAdmin, createHubNamespace, type HubNamespace } from '@evalhub/tools';
import { until as untilValue } from '@evalhub/core/testing';
import type { KubeConfig } from '@kubernetes/client-node';
import { inject } from 'vitest';

export function cluster(): ReturnType<typeof inject<'kubernetes'>> {
  return inject('kubernetes');
}

/** Cluster-admin access, for test set-up and for reading back what the runtime made. */
export function adminKubeConfig(): KubeConfig {
  return clusterAdmin(cluster());
}

export type TestNamespace = HubNamespace;

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
  return createHubNamespace(cluster(), `${prefix}-${process.pid}-${++counter}`.slice(0, 63), {
    roles: o.rbac !== false,
  });
}

/** Waits until `check` returns a value, polling the API server's read-back (a failed read is "not yet"). */
export const until = <T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<Exclude<T, undefined | false>> =>
  untilValue(what, check, { timeoutMs, retryErrors: true, intervalMs: 200 });
