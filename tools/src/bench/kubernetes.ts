/**
 * Kubernetes Jobs runtime benchmark (not a test): 200 benchmarks through @evalhub/runtime-kubernetes
 * on the kwok test cluster (tools/kubernetes: real kube-apiserver, controller manager, scheduler).
 *
 *   npx tsx tools/src/bench/kubernetes.ts [--benchmarks 200] [--watch-seconds 30]
 *
 * 1. POST → Job created: N evaluations (one benchmark each) posted at once to the real HTTP server;
 *    for each, the time from sending its POST to an independent admin watch seeing its Job ADDED.
 * 2. Hub RSS and CPU while all N Jobs run and are watched (kwok keeps the pods Running), sampled
 *    over --watch-seconds; then every evaluation is cancelled (Jobs deleted, pods gone).
 * 3. API-server requests made by the runtime per benchmark (its own count: create Job, create
 *    Secret, pod log follow, delete, plus the shared list/watch requests divided by N).
 * The hub runs with a token of the project's Role, not as cluster admin.
 */
import { BatchV1Api, CoreV1Api, KubeConfig, Watch, type V1Job } from '@kubernetes/client-node';
import { loadConfig, silentLogger, type EvaluationProvider } from '@evalhub/core';
import type { KubernetesRuntime } from '@evalhub/runtime-kubernetes';
import { startServer } from '@evalhub/server';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyHubRbac } from '../kubernetes/hub-rbac.js';
import { freePort, repoRoot } from '../mlflow/launcher.js';

const { values } = parseArgs({
  options: {
    benchmarks: { type: 'string', default: '200' },
    'watch-seconds': { type: 'string', default: '30' },
  },
});
const N = Number(values.benchmarks);
const WATCH_S = Number(values['watch-seconds']);
const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const state = mkdtempSync(join(tmpdir(), 'bench-k8s-'));
const script = join(repoRoot, 'tools', 'kubernetes', 'cluster.sh');
const t0 = performance.now();
execFileSync('bash', [script, 'start', join(state, 'cluster')], { stdio: ['ignore', 'ignore', 'inherit'] });
console.log(`cluster ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
const env = Object.fromEntries(
  readFileSync(join(state, 'cluster', 'env'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
) as Record<string, string>;

try {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: env.KUBE_API_URL ?? '', caFile: env.KUBE_CA_FILE ?? '' }],
    users: [{ name: 'a', token: env.KUBE_ADMIN_TOKEN ?? '' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'a' }],
    currentContext: 'c',
  });
  const core = kc.makeApiClient(CoreV1Api);
  const ns = 'bench';
  await core.createNamespace({ body: { metadata: { name: ns } } });
  await applyHubRbac(kc, ns);
  const token = await core.createNamespacedServiceAccountToken({
    name: 'eval-hub',
    namespace: ns,
    body: { spec: { audiences: [] } },
  });
  const tokenFile = join(state, 'hub-token');
  writeFileSync(tokenFile, token.status?.token ?? '', { mode: 0o600 });

  // an independent observer of Job creation
  const created = new Map<string, number>();
  let allCreated: () => void = () => undefined;
  const createdAll = new Promise<void>((r) => (allCreated = r));
  await new Watch(kc).watch(
    `/apis/batch/v1/namespaces/${ns}/jobs`,
    {},
    (type: string, job: V1Job) => {
      const id = job.metadata?.labels?.['evalhub.io/evaluation-id'];
      if (type === 'ADDED' && id && !created.has(id)) {
        created.set(id, performance.now());
        if (created.size === N) allCreated();
      }
    },
    () => undefined,
  );

  const provider: EvaluationProvider = {
    describe: () => ({
      id: 'bench',
      name: 'bench',
      benchmarks: [{ id: 'job', name: 'job', category: 'bench', metrics: ['exit'] }],
    }),
    run: async (_task, ctx) => {
      const r = await ctx.exec({ command: 'true', args: [], cwd: ctx.workDir });
      return { metrics: { exit: r.exitCode ?? -1 } };
    },
  };
  const dir = join(state, 'hub');
  const port = await freePort();
  const config = loadConfig({
    cwd: state,
    env: {
      EVALHUB_TRACKER: 'none',
      EVALHUB_DISCOVER_PLUGINS: 'false',
      EVALHUB_DATA_DIR: dir,
      EVALHUB_LOG_LEVEL: 'warn',
    },
    overrides: {
      evaluation: { max_concurrent_evaluations: N, benchmark_concurrency: 1, max_queued_evaluations: N * 2 },
    },
  });
  const server = await startServer({
    host: '127.0.0.1',
    port,
    hubOptions: { providers: [provider], logger: silentLogger() },
    config: {
      ...config,
      runtime: {
        name: '@evalhub/runtime-kubernetes',
        options: {
          namespace: ns,
          image: 'registry.example.invalid/evalhub:bench',
          callback_url: `http://127.0.0.1:${port}`,
          kube: { server: env.KUBE_API_URL, token_file: tokenFile, ca_file: env.KUBE_CA_FILE },
          pod: { service_account: 'eval-hub-benchmark', annotations: { 'evalhub.test/outcome': 'run' } },
        },
      },
    },
  });
  const runtime = server.hub.runtime as KubernetesRuntime;
  const requestsBefore = runtime.requests.total;

  // 1. POST → Job created
  const posted = new Map<string, number>();
  const ids = await Promise.all(
    Array.from({ length: N }, async () => {
      const sent = performance.now();
      const res = await fetch(`${server.url}/api/v1/evaluations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: { server: 'bench', name: 'm', url: 'http://127.0.0.1:9/v1' },
          benchmarks: [{ benchmark_id: 'job', provider_id: 'bench', config: {} }],
          experiment: { name: 'bench', tags: {} },
        }),
      });
      const { id } = (await res.json()) as { id: string };
      posted.set(id, sent);
      return id;
    }),
  );
  await createdAll;
  const latency = ids.map((id) => (created.get(id) ?? NaN) - (posted.get(id) ?? NaN)).sort((a, b) => a - b);
  console.log(
    `POST → Job created (${N}): p50 ${pct(latency, 50).toFixed(0)} ms, p99 ${pct(latency, 99).toFixed(0)} ms, max ${latency.at(-1)?.toFixed(0)} ms`,
  );

  // 2. RSS / CPU while N Jobs are running and watched
  const batch = kc.makeApiClient(BatchV1Api);
  for (;;) {
    const pods = await core.listNamespacedPod({ namespace: ns });
    if (pods.items.filter((p) => p.status?.phase === 'Running').length >= N) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let peak = 0;
  const rss: number[] = [];
  const sampler = setInterval(() => {
    const r = process.memoryUsage().rss;
    rss.push(r);
    peak = Math.max(peak, r);
  }, 250);
  await new Promise((r) => setTimeout(r, WATCH_S * 1000));
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpu0);
  const cpuPct = ((cpu.user + cpu.system) / 1000 / (performance.now() - wall0)) * 100;
  console.log(
    `hub with ${N} running Jobs watched for ${WATCH_S} s: RSS ${(rss.reduce((a, b) => a + b, 0) / rss.length / 2 ** 20).toFixed(0)} MB mean, ${(peak / 2 ** 20).toFixed(0)} MB peak; CPU ${cpuPct.toFixed(1)} % of one core`,
  );

  // 3. cancel everything; requests per benchmark
  const c0 = performance.now();
  await Promise.all(ids.map((id) => fetch(`${server.url}/api/v1/evaluations/${id}`, { method: 'DELETE' })));
  await Promise.all(ids.map((id) => server.hub.service.wait(id)));
  console.log(`cancel of ${N}: all pods gone after ${((performance.now() - c0) / 1000).toFixed(1)} s`);
  const left = await batch.listNamespacedJob({ namespace: ns });
  console.log(`Jobs left: ${left.items.length}`);
  console.log(
    `API requests by the runtime: ${runtime.requests.total - requestsBefore} for ${N} benchmarks = ${((runtime.requests.total - requestsBefore) / N).toFixed(2)} per benchmark`,
  );
  await server.close();
} finally {
  execFileSync('bash', [script, 'stop', join(state, 'cluster')], { stdio: 'inherit' });
  rmSync(state, { recursive: true, force: true });
}
