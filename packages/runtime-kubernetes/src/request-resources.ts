import type { ExecResources } from '@evalhub/core';
import { parseQuantity, type KubernetesRuntimeOptions } from './options.js';

/**
 * Why the runtime cannot give a benchmark the resources its request asks for, each a sentence with
 * the fix; empty when it can. Requests may set resources only when the operator turned on
 * `allow_request_resources`, and each quantity stays within `max_resources` where one is set.
 */
export function requestResourceProblems(
  resources: ExecResources,
  options: Pick<KubernetesRuntimeOptions, 'allow_request_resources' | 'max_resources'>,
): string[] {
  if (!options.allow_request_resources)
    return [
      "This hub's Kubernetes runtime does not let requests set resources: remove 'resources' (the operator sets them per provider), or ask the operator to turn on allow_request_resources.",
    ];
  const problems: string[] = [];
  const max = options.max_resources ?? {};
  for (const kind of ['requests', 'limits'] as const) {
    for (const [name, quantity] of Object.entries(resources[kind] ?? {})) {
      const cap = max[name];
      if (cap !== undefined && !(parseQuantity(quantity) <= parseQuantity(cap)))
        problems.push(
          `${kind}.${name} = ${quantity} is above this hub's maximum of ${cap}: ask for at most ${cap}.`,
        );
    }
  }
  return problems;
}
