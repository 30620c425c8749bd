import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const script = join(dirname(fileURLToPath(import.meta.url)), '..', 'kubernetes', 'cluster.sh');

/** Parses the `KEY=value` lines of the cluster's env file. */
function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/**
 * Vitest global setup of the `k8s` project: one real Kubernetes control plane per test run (etcd,
 * kube-apiserver, kube-controller-manager, kube-scheduler and kwok as the node agent, on 127.0.0.1),
 * shared through `inject('kubernetes')`. Started only when a Kubernetes test file is selected: the
 * project's include is `*.k8s.test.ts`. Binaries come from tools/kubernetes/build.sh (cached; the
 * first build takes about 12 minutes). A cluster that fails to start fails the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const state = await mkdtemp(join(tmpdir(), 'evalhub-k8s-'));
  try {
    await run('bash', [script, 'start', state], { maxBuffer: 16 * 1024 * 1024, timeout: 30 * 60_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    await run('bash', [script, 'stop', state]).catch(() => undefined);
    throw new Error(`The test Kubernetes cluster did not start: ${e.stderr?.trim() || e.message}`, {
      cause: err,
    });
  }
  const env = parseEnv(await readFile(join(state, 'env'), 'utf8'));
  project.provide('kubernetes', {
    apiUrl: env.KUBE_API_URL ?? '',
    caFile: env.KUBE_CA_FILE ?? '',
    adminToken: env.KUBE_ADMIN_TOKEN ?? '',
    nodeName: env.KUBE_NODE_NAME ?? '',
    kwokLogFile: env.KUBE_KWOK_LOG_FILE ?? '',
    kubeconfig: env.KUBECONFIG ?? '',
  });
  return async () => {
    await run('bash', [script, 'stop', state]);
    await rm(state, { recursive: true, force: true });
  };
}
