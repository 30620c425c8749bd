import {
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  loadAllYaml,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../mlflow/launcher.js';

/** The RBAC an operator grants the hub: its `eval-hub` ServiceAccount, Role and RoleBinding. */
export const HUB_RBAC_MANIFEST = join(repoRoot, 'deploy', 'kubernetes', 'overlays', 'jobs', 'rbac.yaml');

/** `doc` placed in `namespace`, its ServiceAccount subjects too. */
function inNamespace(doc: KubernetesObject, namespace: string): KubernetesObject {
  const out = { ...doc, metadata: { ...doc.metadata, namespace } } as KubernetesObject & {
    subjects?: { kind: string; namespace?: string }[];
  };
  if (out.subjects)
    out.subjects = out.subjects.map((s) => (s.kind === 'ServiceAccount' ? { ...s, namespace } : s));
  return out;
}

/**
 * Creates the project's RBAC manifest in an existing namespace (cluster-admin `kc`), so the hub runs
 * there with exactly the permissions an operator grants; `roles: false` leaves out the Role and
 * RoleBinding (the ServiceAccount alone, for tests of a hub without permissions).
 */
export async function applyHubRbac(
  kc: KubeConfig,
  namespace: string,
  o: { roles?: boolean } = {},
): Promise<void> {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  const docs = loadAllYaml(await readFile(HUB_RBAC_MANIFEST, 'utf8')) as KubernetesObject[];
  for (const doc of docs) {
    if (o.roles === false && (doc.kind === 'Role' || doc.kind === 'RoleBinding')) continue;
    await objects.create(inNamespace(doc, namespace));
  }
}

/** A test cluster as its admin reaches it (tools/test/setup-kubernetes.ts provides it). */
export interface ClusterAccess {
  apiUrl: string;
  caFile: string;
  /** A static token in `system:masters`: for set-up and read-back only, never the hub's. */
  adminToken: string;
}

/** Cluster-admin access, for test set-up and for reading back what the runtime made. */
export function adminKubeConfig(c: ClusterAccess): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: c.apiUrl, caFile: c.caFile, skipTLSVerify: false }],
    users: [{ name: 'admin', token: c.adminToken }],
    contexts: [{ name: 'test', cluster: 'test', user: 'admin' }],
    currentContext: 'test',
  });
  return kc;
}

export interface HubNamespace {
  name: string;
  admin: { core: CoreV1Api; batch: BatchV1Api; objects: KubernetesObjectApi };
  /** File (mode 0600) holding a token of ServiceAccount eval-hub, bound only to the project's Role. */
  hubTokenFile: string;
  /** The runtime's `kube` options with that token (never cluster admin). */
  kube: { server: string; token_file: string; ca_file: string };
}

/**
 * A fresh namespace with the project's RBAC manifest applied (applyHubRbac; `roles: false` leaves
 * out the Role and RoleBinding) and a token of its `eval-hub` ServiceAccount in a file, so the
 * runtime runs with exactly the permissions an operator grants.
 */
export async function createHubNamespace(
  c: ClusterAccess,
  name: string,
  o: { roles?: boolean; tokenDir?: string } = {},
): Promise<HubNamespace> {
  const kc = adminKubeConfig(c);
  const admin = {
    core: kc.makeApiClient(CoreV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    objects: KubernetesObjectApi.makeApiClient(kc),
  };
  await admin.core.createNamespace({ body: { metadata: { name } } });
  await applyHubRbac(kc, name, { roles: o.roles !== false });
  const token = await admin.core.createNamespacedServiceAccountToken({
    name: 'eval-hub',
    namespace: name,
    body: { spec: { expirationSeconds: 3600, audiences: [] } },
  });
  const dir = o.tokenDir ?? (await mkdtemp(join(tmpdir(), 'evalhub-k8s-token-')));
  const hubTokenFile = join(dir, `${name}.token`);
  await writeFile(hubTokenFile, token.status?.token ?? '', { mode: 0o600 });
  return {
    name,
    admin,
    hubTokenFile,
    kube: { server: c.apiUrl, token_file: hubTokenFile, ca_file: c.caFile },
  };
}
