import { createHub, loadConfig, silentLogger, ValidationError, type Hub } from '@evalhub/core';
import { ScriptedProvider } from '@evalhub/core/testing';
import type { V1Job } from '@kubernetes/client-node';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '../src/labels.js';
import { createTestNamespace, until, type TestNamespace } from './cluster.js';
import { OUTCOMES, runtimeOptions, tempDir } from './helpers.js';

// A benchmark's own `resources`, from the request to the Job the API server holds. Real parts: the
// hub, the Kubernetes runtime plugin selected by config as an operator would, the real API server;
// kwok stands in for the kubelet (the pod succeeds by its stage).

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
let ns: TestNamespace;
let dir: string;
let hub: Hub;

beforeAll(async () => {
  ns = await createTestNamespace('evalhub-resources');
  dir = await tempDir();
  const config = loadConfig({
    cwd: dir,
    env: {},
    overrides: { data_dir: join(dir, 'data'), tracker: 'none', store: 'memory', discover_plugins: false },
  });
  const options = runtimeOptions(ns, {
    allow_request_resources: true,
    max_resources: { 'nvidia.com/gpu': '2', memory: '32Gi' },
    pod: { service_account: 'eval-hub-benchmark', resources: { requests: { cpu: '1', memory: '2Gi' } } },
    providers: { ...OUTCOMES, scripted: OUTCOMES.succeed! },
  });
  hub = await createHub({
    config: { ...config, runtime: { name: '@evalhub/runtime-kubernetes', options: { ...options } } },
    providers: [new ScriptedProvider()],
    resolveFrom: [packageDir],
    logger: silentLogger(),
  });
}, 300_000);

afterAll(async () => {
  await hub?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const submit = (resources: unknown) =>
  hub.service.submit({
    model: { server: 'test', url: 'http://127.0.0.1:9/v1', name: 'm' },
    benchmarks: [
      {
        benchmark_id: 'command',
        provider_id: 'scripted',
        config: { command: ['python', '-c', 'print(42)'] },
        resources,
      },
    ],
  });

describe("a benchmark's own resources on the Kubernetes runtime", () => {
  it('refuses resources above the operator’s bounds at submission, naming the field and the bound', async () => {
    const refused = await submit({ limits: { 'nvidia.com/gpu': '4' } }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).status).toBe(400);
    expect((refused as ValidationError).details).toEqual([
      {
        pointer: '/benchmarks/0/resources',
        message: "limits.nvidia.com/gpu = 4 is above this hub's maximum of 2: ask for at most 2.",
      },
    ]);
    const jobs = await ns.admin.batch.listNamespacedJob({ namespace: ns.name });
    expect(jobs.items).toEqual([]);
  });

  it("gives the Job the request's resources over the provider's, as the API server returns it", async () => {
    const {
      evaluation: { id },
    } = await submit({ requests: { memory: '16Gi' }, limits: { 'nvidia.com/gpu': '1' } });
    const job = await until<V1Job>('the Job', async () => {
      const jobs = await ns.admin.batch.listNamespacedJob({
        namespace: ns.name,
        labelSelector: `${LABELS.evaluation}=${id}`,
      });
      return jobs.items[0];
    });
    expect(job.spec?.template.spec?.containers[0]?.resources).toEqual({
      requests: { cpu: '1', memory: '16Gi' },
      limits: { 'nvidia.com/gpu': '1' },
    });
    const done = await hub.service.wait(id);
    expect(done.status).toBe('completed');
    expect(done.benchmarks[0]!.resources).toEqual({
      requests: { memory: '16Gi' },
      limits: { 'nvidia.com/gpu': '1' },
    });
  });
});
