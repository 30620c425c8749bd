import type { AuthorizationV1Api } from '@kubernetes/client-node';

/** What the runtime does on the cluster, i.e. what the project's Role must grant. */
export const REQUIRED_ACCESS: { group: string; resource: string; subresource?: string; verbs: string[] }[] = [
  { group: 'batch', resource: 'jobs', verbs: ['create', 'get', 'list', 'watch', 'delete'] },
  { group: '', resource: 'pods', verbs: ['get', 'list', 'watch'] },
  { group: '', resource: 'pods', subresource: 'log', verbs: ['get'] },
  { group: '', resource: 'secrets', verbs: ['create', 'get', 'delete'] },
];

export const RBAC_FIX =
  'Apply the Role and RoleBinding of deploy/kubernetes/overlays/jobs (rbac.yaml) in that namespace for the identity the hub runs as.';

/** The permissions (as `verb resource`) the current identity lacks in `namespace`, asked with SelfSubjectAccessReviews. */
export async function missingAccess(auth: AuthorizationV1Api, namespace: string): Promise<string[]> {
  const checks = REQUIRED_ACCESS.flatMap((r) => r.verbs.map((verb) => ({ ...r, verb })));
  const answers = await Promise.all(
    checks.map(async (c) => {
      const review = await auth.createSelfSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: {
            resourceAttributes: {
              namespace,
              verb: c.verb,
              group: c.group,
              resource: c.resource,
              ...(c.subresource ? { subresource: c.subresource } : {}),
            },
          },
        },
      });
      return review.status?.allowed === true
        ? undefined
        : `${c.verb} ${c.group ? `${c.resource}.${c.group}` : c.resource}${c.subresource ? `/${c.subresource}` : ''}`;
    }),
  );
  return answers.filter((a): a is string => a !== undefined);
}

/** A 403 from the API server as a sentence naming what was denied and the fix. */
export function forbiddenMessage(action: string, namespace: string, err: unknown): string {
  const body = (err as { body?: unknown }).body;
  let detail = '';
  try {
    const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string } | undefined;
    detail = parsed?.message ? ` (${parsed.message})` : '';
  } catch {
    // not JSON
  }
  return `The Kubernetes API server refused to ${action} in namespace '${namespace}'${detail}. ${RBAC_FIX}`;
}

export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}
