import type { ExecRequest } from '@evalhub/core';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeConfigFrom } from '../src/kube-config.js';
import { KubernetesRuntime } from '../src/kubernetes-runtime.js';
import type { KubernetesRuntimeOptions, PodSettings } from '../src/options.js';
import type { TestNamespace } from './cluster.js';

const outcome = (o: string, extra: Record<string, string> = {}): PodSettings => ({
  annotations: { 'evalhub.test/outcome': o, 'evalhub.test/run-ms': '300', ...extra },
});

/** Pod settings per pseudo-provider id: the kwok stage each selects (tools/kubernetes/kwok-stages.yaml). */
export const OUTCOMES: Record<string, PodSettings> = {
  succeed: outcome('succeed'),
  slow: outcome('succeed', { 'evalhub.test/run-ms': '4000' }),
  fail: outcome('fail', { 'evalhub.test/exit-code': '3' }),
  oom: outcome('oom'),
  evicted: outcome('evicted'),
  imagepull: outcome('imagepull'),
  run: outcome('run'),
  unschedulable: { node_selector: { 'evalhub.test/no-such-node': 'x' } },
};

export function runtimeOptions(
  ns: TestNamespace,
  extra: Partial<KubernetesRuntimeOptions> = {},
): KubernetesRuntimeOptions {
  return {
    namespace: ns.name,
    image: 'registry.example.invalid/evalhub:test',
    callback_url: 'http://127.0.0.1:9/',
    kube: ns.kube,
    pod: { service_account: 'eval-hub-benchmark' },
    providers: OUTCOMES,
    watch_timeout_seconds: 60,
    ...extra,
  };
}

export function makeRuntime(
  ns: TestNamespace,
  extra: Partial<KubernetesRuntimeOptions> = {},
): KubernetesRuntime {
  const options = runtimeOptions(ns, extra);
  return new KubernetesRuntime(options, { kubeConfig: kubeConfigFrom(options.kube), namespace: ns.name });
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'evalhub-k8s-test-'));
}

/** An exec request as core would send it for one benchmark attempt. */
export function execRequest(
  dir: string,
  o: {
    provider: string;
    index?: number;
    attempt?: number;
    evaluationId?: string;
    timeoutSeconds?: number;
    signal?: AbortSignal;
  },
): ExecRequest & { labels: NonNullable<ExecRequest['labels']> } {
  return {
    command: 'python',
    args: ['-c', 'print(42)'],
    cwd: dir,
    env: { OPENAI_API_KEY: 'sk-test-secret-value' },
    logFile: join(dir, `${o.index ?? 0}.log`),
    signal: o.signal ?? new AbortController().signal,
    labels: {
      evaluationId: o.evaluationId ?? randomUUID(),
      benchmarkIndex: o.index ?? 0,
      attempt: o.attempt ?? 1,
      benchmarkId: 'arc_easy',
      providerId: o.provider,
    },
    ...(o.timeoutSeconds ? { timeoutSeconds: o.timeoutSeconds } : {}),
  };
}
