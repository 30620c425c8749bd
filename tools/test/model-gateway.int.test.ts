import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHub, loadConfig, silentLogger, type Evaluation, type Hub } from '@evalhub/core';
import lmEvalPlugin from '@evalhub/provider-lmeval';
import ragasPlugin from '@evalhub/provider-ragas';
import mlflowTrackerPlugin from '@evalhub/tracker-mlflow';
import { until } from '@evalhub/core/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { faultyNetwork, repoRoot, resolvePython, type FaultyNetwork } from '../src/index.js';

// The service routes lm-eval through the hub's model gateway. Real parts: the hub (in process) with
// its gateway, lm-eval as a child process (through a wrapper that records its environment and
// command line), MLflow (read back with MLflow's own Python client), the fixture model server with
// its capacity model (4 sequences at once, no queue: a fifth request in flight is refused with 429)
// behind a recording hop that stands for the network to the model server.

const SECRET = 'sk-gateway-int-key-60713';
const CAPACITY = 4;
const fixture = inject('fixtureModelUrl');
const trackingUri = inject('mlflowTrackingUri');
const key = `gw-wiring-${Date.now().toString(36)}`;
let sharedUrl: string;

let top: string;
let dumps: string;
let ragasDumps: string;
let python: string;
let net: FaultyNetwork;
let hub: Hub;
const auth: string[] = [];

beforeAll(async () => {
  top = realpathSync(await mkdtemp(join(tmpdir(), 'evalhub-gw-wiring-')));
  python = await resolvePython();
  net = await faultyNetwork(fixture, () => 'pass', {
    onRequest: (h) => auth.push(String(h.authorization ?? '')),
  });
  sharedUrl = `${net.uri}/_/capacity=${CAPACITY}+queue=0+latency=500+key=${key}-shared/v1`;
  const dataRoot = join(top, 'datasets');
  await mkdir(dataRoot, { recursive: true });
  await copyFile(
    join(repoRoot, 'packages', 'provider-lmeval', 'test', 'data', 'arc-sample.jsonl'),
    join(dataRoot, 'arc-sample.jsonl'),
  );
  // lm-eval as the hub starts it, after writing down what the process was given
  dumps = join(top, 'children');
  await mkdir(dumps, { recursive: true });
  const wrapper = join(top, 'lm-eval.sh');
  await writeFile(
    wrapper,
    `#!/bin/sh\n{ env; echo '--- argv'; for a in "$0" "$@"; do echo "$a"; done; } > "${dumps}/$$.txt"\nexec "${python}" -m lm_eval "$@"\n`,
  );
  await chmod(wrapper, 0o755);
  // RAGAS's python, the same way
  ragasDumps = join(top, 'ragas-children');
  await mkdir(ragasDumps, { recursive: true });
  const ragasPython = join(top, 'ragas-python.sh');
  await writeFile(
    ragasPython,
    `#!/bin/sh\n{ env; echo '--- argv'; for a in "$0" "$@"; do echo "$a"; done; } > "${ragasDumps}/$$.txt"\nexec "${python}" "$@"\n`,
  );
  await chmod(ragasPython, 0o755);
  await copyFile(
    join(repoRoot, 'packages', 'provider-ragas', 'data', 'sample.jsonl'),
    join(dataRoot, 'rag-sample.jsonl'),
  );
  hub = await createHub({
    config: loadConfig({
      cwd: top,
      env: { GW_TEST_KEY: SECRET },
      overrides: {
        data_dir: join(top, 'data'),
        data_root: dataRoot,
        python,
        tracker: 'none',
        discover_plugins: false,
        model_servers: {
          vllm: {
            url: `${net.uri}/_/capacity=${CAPACITY}+queue=0+latency=20+key=${key}/v1`,
            api_key_env: 'GW_TEST_KEY',
            max_concurrency: CAPACITY,
          },
          // slow answers (0.5 s), so two evaluations' request phases overlap whatever lm-eval's start-up
          shared: {
            url: sharedUrl,
            api_key_env: 'GW_TEST_KEY',
            max_concurrency: CAPACITY,
          },
          // a vLLM-sized server (64 sequences, no max_concurrency): lm-eval batches prompts to it
          batching: {
            url: `${net.uri}/_/capacity=64+latency=20+key=${key}-batching/v1`,
            api_key_env: 'GW_TEST_KEY',
          },
          // answers every request with a 500 and its own message
          failing: { url: `${net.uri}/_/fail-500+key=${key}-failing/v1`, api_key_env: 'GW_TEST_KEY' },
        },
      },
    }),
    plugins: [
      { plugin: lmEvalPlugin as never, options: { lm_eval_command: [wrapper] } },
      { plugin: ragasPlugin as never, options: { python: ragasPython } },
      {
        plugin: mlflowTrackerPlugin as never,
        options: { tracking_uri: trackingUri, http_retry_base_delay_ms: 50, http_retry_max_delay_ms: 500 },
      },
    ],
    logger: silentLogger(),
    settings: { trackingBaseDelayMs: 100, trackingMaxDelayMs: 1_000 },
  });
}, 600_000);

afterAll(async () => {
  await hub?.close();
  await net?.close();
  if (top) await rm(top, { recursive: true, force: true });
});

const request = (config: Record<string, unknown>, experiment = 'gateway-wiring', server = 'vllm') => ({
  model: { server, name: 'fixture' },
  benchmarks: [
    {
      benchmark_id: 'arc_easy',
      provider_id: 'lm_evaluation_harness',
      config: { dataset_path: 'arc-sample.jsonl', ...config },
    },
  ],
  experiment: { name: experiment },
});

/** The evaluation once its tracking has synced (a failed delivery fails the test with its error). */
const synced = (e: Evaluation): Promise<Evaluation> =>
  until(`the tracking of ${e.id}`, async () => {
    const now = await hub.service.get(e.id);
    if (now.tracking.state === 'failed') throw new Error(`tracking failed: ${now.tracking.last_error}`);
    return now.tracking.state === 'synced' ? now : undefined;
  });

/** What MLflow's own client reads of a run: metrics and tags. */
function mlflowRun(
  runId: string,
): Promise<{ metrics: Record<string, number>; tags: Record<string, string> }> {
  const script = [
    'import json, sys',
    'from mlflow import MlflowClient',
    'run = MlflowClient(sys.argv[1]).get_run(sys.argv[2])',
    'print(json.dumps({"metrics": run.data.metrics, "tags": run.data.tags}))',
  ].join('\n');
  return new Promise((ok, fail) => {
    execFile(
      python,
      ['-c', script, trackingUri, runId],
      { env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' }, maxBuffer: 16 << 20 },
      (err, stdout, stderr) =>
        err ? fail(new Error(`${err.message}\n${stderr}`)) : ok(JSON.parse(stdout.trim().split('\n').pop()!)),
    );
  });
}

const completions = (): number =>
  net.seen.filter((p) => p.startsWith('POST') && p.endsWith('/v1/completions')).length;

interface PoolStats {
  peakTotal: number;
  rejected: number;
  served: number;
  requests: number;
}

async function capacityStats(pool: string): Promise<PoolStats> {
  const all = (await (await fetch(`${fixture}/_fixture/capacity`)).json()) as Record<string, PoolStats>;
  return all[pool]!;
}

describe('lm-eval through the model gateway', () => {
  it('gets the gateway URL and no key; the gateway adds the key; perf data reaches MLflow', async () => {
    const e = await synced(await hub.evaluate(request({ limit: 6 })));
    expect(e.status).toBe('completed');
    const b = e.benchmarks[0]!;
    // 6 four-choice questions: 24 loglikelihood requests, one prompt each (a server of 4 sequences
    // gets no batches); the preflight's probes are not the benchmark's requests
    expect(b.perf).toMatchObject({ requests: 24, errors: 0, cache_hits: 0 });
    expect(b.perf!.requests_per_second).toBeGreaterThan(0);
    expect(b.perf!.peak_concurrency).toBeLessThanOrEqual(CAPACITY);
    expect(b.cache).toBeUndefined();

    // every request reached the server with the key, which only the gateway had
    const v1 = net.seen.map((p, i) => ({ p, auth: auth[i] })).filter((r) => r.p.includes('/v1/'));
    expect(v1.length).toBeGreaterThan(24);
    expect(new Set(v1.map((r) => r.auth))).toEqual(new Set([`Bearer ${SECRET}`]));

    const children = await readdir(dumps);
    expect(children.length).toBeGreaterThan(0);
    for (const name of children) {
      const dump = await readFile(join(dumps, name), 'utf8');
      expect(dump, name).not.toContain(SECRET);
      const argv = dump.slice(dump.indexOf('--- argv'));
      // the engine is the gateway's client, at the server's max_concurrency, and barely retries itself
      expect(argv).toMatch(/base_url=http:\/\/127\.0\.0\.1:\d+\/r\/[0-9a-f]{32}\/_\//);
      expect(argv).toContain(`num_concurrent=${CAPACITY},max_retries=1,`);
    }

    const run = await mlflowRun(e.tracking.run_id!);
    for (const [name, value] of Object.entries(b.perf!))
      expect(run.metrics[`arc_easy.perf.${name}`], name).toBe(value);
    expect(run.tags['evalhub.cache']).toBeUndefined();
    expect(JSON.stringify(run)).not.toContain(SECRET);
  });

  it('batches prompts to a server that takes them: the same scores from a sixteenth of the requests', async () => {
    const one = await hub.evaluate(request({ limit: 6, batch_size: 1 }, 'gateway-batching', 'batching'));
    const batched = await hub.evaluate(request({ limit: 6 }, 'gateway-batching', 'batching'));
    expect([one.status, batched.status]).toEqual(['completed', 'completed']);
    const [a, b] = [one.benchmarks[0]!, batched.benchmarks[0]!];
    expect(b.results!.metrics).toEqual(a.results!.metrics);
    // 24 loglikelihood requests: one prompt each, then in requests of 16 and 8 prompts
    expect(a.perf).toMatchObject({ requests: 24, errors: 0 });
    expect(b.perf).toMatchObject({ requests: 2, errors: 0 });
    expect(b.results!.params).toMatchObject({ batch_size: 16 });
    // the server ran every sequence of both (the preflight's probes, marked, are counted apart)
    expect(await capacityStats(`${key}-batching`)).toMatchObject({ served: 48, requests: 26 });
  });

  it('shares one server between two evaluations without exceeding its capacity', async () => {
    // each engine keeps max_concurrency (4) requests in flight: 8 at the gateway, never more than 4 at the server
    let overlapped = false;
    let peak = 0;
    const watch = setInterval(() => {
      const s = hub.gateway.limiterState(sharedUrl);
      if (!s) return;
      peak = Math.max(peak, s.peakInFlight);
      if (Object.values(s.routes).filter((n) => n > 0).length === 2) overlapped = true;
    }, 50);
    const [a, b] = await Promise.all([
      hub.evaluate(request({ limit: 12 }, 'gateway-share-a', 'shared')),
      hub.evaluate(request({ limit: 12, num_fewshot: 1 }, 'gateway-share-b', 'shared')),
    ]).finally(() => clearInterval(watch));
    expect([a.status, b.status]).toEqual(['completed', 'completed']);
    // both evaluations had requests at the server at the same time (observed, not arranged)
    expect(overlapped).toBe(true);
    expect(peak).toBe(CAPACITY);
    const stats = await capacityStats(`${key}-shared`);
    expect(stats.peakTotal).toBeLessThanOrEqual(CAPACITY);
    expect(stats.rejected).toBe(0);
    for (const e of [a, b])
      expect(e.benchmarks[0]!.perf).toMatchObject({ requests: 48, errors: 0, retries: 0 });
  });

  it('answers an identical re-run from the cache (same scores, no model request) and misses on a changed setting', async () => {
    const first = await hub.evaluate(request({ limit: 8, cache: true }));
    expect(first.status).toBe('completed');
    expect(first.benchmarks[0]!.cache).toBeUndefined();
    const before = completions();
    const again = await synced(await hub.evaluate(request({ limit: 8, cache: true })));
    expect(completions()).toBe(before);
    expect(again.benchmarks[0]!.results!.metrics).toEqual(first.benchmarks[0]!.results!.metrics);
    expect(again.benchmarks[0]).toMatchObject({ cache: 'hit', perf: { requests: 32, cache_hits: 32 } });
    const run = await mlflowRun(again.tracking.run_id!);
    expect(run.tags).toMatchObject({ 'evalhub.cache': 'hit', 'evalhub.benchmark.arc_easy.cache': 'hit' });
    expect(run.metrics['arc_easy.perf.cache_hits']).toBe(32);

    // another few-shot setting: other prompts, all sent to the server (only the preflight's probe,
    // not counted, is answered from the cache)
    const changed = await hub.evaluate(request({ limit: 8, cache: true, num_fewshot: 2 }));
    expect(changed.status).toBe('completed');
    expect(completions()).toBe(before + 32);
    expect(changed.benchmarks[0]).toMatchObject({ perf: { requests: 32, cache_hits: 0 } });
    expect(changed.benchmarks[0]!.cache).toBeUndefined();
  });

  it("fails a benchmark whose server keeps failing with the server's own answer in its error", async () => {
    const e = await hub.evaluate(request({ limit: 2 }, 'gateway-failing', 'failing'));
    expect(e.status).toBe('failed');
    const b = e.benchmarks[0]!;
    expect(b.status).toBe('failed');
    // the gateway passed the server's answer on (no retry hides it), and the benchmark's error says it
    expect(b.error?.message).toContain('HTTP 500');
    expect(b.error?.message).toContain('fixture: injected internal server error');
    expect(b.error?.message).not.toContain(SECRET);
    expect(net.seen.some((p) => p.includes(`${key}-failing/v1/`))).toBe(true);
  });
});

describe('RAGAS through the model gateway', () => {
  it('judges through the gateway URL with no key in its process; the gateway adds it', async () => {
    const from = net.seen.length;
    const e = await hub.evaluate({
      model: { server: 'vllm', name: 'fixture' },
      benchmarks: [
        {
          benchmark_id: 'faithfulness',
          provider_id: 'ragas',
          config: { dataset_path: 'rag-sample.jsonl', limit: 3 },
        },
      ],
      experiment: { name: 'gateway-ragas' },
    });
    expect(e.status, JSON.stringify(e.benchmarks[0]!.error)).toBe('completed');
    const b = e.benchmarks[0]!;
    expect(b.perf!.requests).toBeGreaterThan(0);
    expect(b.perf!.errors).toBe(0);
    // the judge's requests reached the server with the key, which only the gateway had
    const judged = net.seen
      .slice(from)
      .map((p, i) => ({ p, auth: auth[from + i] }))
      .filter((r) => r.p.includes('/v1/'));
    expect(judged.length).toBe(b.perf!.requests);
    expect(new Set(judged.map((r) => r.auth))).toEqual(new Set([`Bearer ${SECRET}`]));

    const children = await readdir(ragasDumps);
    expect(children.length).toBeGreaterThan(0);
    for (const name of children) {
      const dump = await readFile(join(ragasDumps, name), 'utf8');
      expect(dump, name).not.toContain(SECRET);
    }
    // nor in anything the benchmark wrote (its runner spec names the gateway's URL instead)
    const written = (
      await readdir(join(top, 'data', 'evaluations', e.id), { recursive: true, withFileTypes: true })
    )
      .filter((f) => f.isFile())
      .map((f) => join(f.parentPath, f.name));
    expect(written.length).toBeGreaterThan(2);
    for (const file of written) expect(await readFile(file, 'utf8'), file).not.toContain(SECRET);
  });
});
