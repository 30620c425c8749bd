import {
  KubernetesObjectApi,
  loadAllYaml,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
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
