import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { ValidationError } from '../errors.js';
import type {
  BenchmarkOutcome,
  BenchmarkTask,
  EvaluationProvider,
  ProviderDescriptor,
  RunContext,
} from '../extension-points/provider.js';
import { createHub, type CreateHubOptions, type Hub } from '../hub.js';
import { silentLogger } from '../logging.js';
import { LocalRuntime } from '../runtime/local-runtime.js';
import { RecordingTracker } from '../testing/recording-tracker.js';
import { ScriptedProvider } from '../testing/scripted-provider.js';
import { evaluationCache, providerConfig } from './benchmark-gateway.js';

// The service's side of the model gateway with real parts: the hub, its gateway and a small
// OpenAI-style model server (an external component, played here by a plain HTTP server) that
// counts the completions it answers and records the credentials it is sent.

const KEY = 'sk-gateway-unit-key-5521';
const tempRoot = mkdtempSync(join(tmpdir(), 'evalhub-gw-svc-'));
let server: Server;
let serverUrl: string;
const seen: { auth: string; prompt: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const prompt = String((JSON.parse(body || '{}') as { prompt?: string }).prompt);
      seen.push({ auth: String(req.headers.authorization ?? ''), prompt });
      res.setHeader('content-type', 'application/json');
      // a deterministic "score" per prompt, so a cached answer is recognisable
      res.end(
        JSON.stringify({
          choices: [{ index: 0, text: String(prompt.length % 7) }],
          usage: { prompt_tokens: 3, completion_tokens: 1 },
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(tempRoot, { recursive: true, force: true });
});

/** A provider whose engine sends `config.n` greedy completions to the gateway (or the model URL). */
class CompletionsProvider implements EvaluationProvider {
  readonly usesModelGateway = true;
  readonly runs: { task: BenchmarkTask; gateway: RunContext['gateway'] }[] = [];

  describe(): ProviderDescriptor {
    return {
      id: 'completions',
      name: 'completions',
      benchmarks: [{ id: 'echo', name: 'echo', category: 'testing', metrics: ['score'] }],
    };
  }

  async run(task: BenchmarkTask, ctx: RunContext): Promise<BenchmarkOutcome> {
    this.runs.push({ task, gateway: ctx.gateway });
    const c = task.benchmark.config as { n?: number; suffix?: string };
    const base = ctx.gateway?.baseUrl ?? task.model.url;
    let score = 0;
    for (let i = 0; i < (c.n ?? 3); i++) {
      const res = await fetch(`${base}/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(task.modelApiKey ? { authorization: `Bearer ${task.modelApiKey}` } : {}),
        },
        body: JSON.stringify({
          model: task.model.name,
          prompt: `question ${i}${c.suffix ?? ''}`,
          temperature: 0,
          max_tokens: 1,
        }),
      });
      const answer = (await res.json()) as { choices: { text: string }[] };
      score += Number(answer.choices[0]!.text) / 10;
    }
    return { metrics: { score }, primaryMetric: 'score' };
  }
}

const hubs: Hub[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

async function makeHub(
  env: Record<string, string> = {},
  extra: Partial<CreateHubOptions> = {},
): Promise<{ hub: Hub; provider: CompletionsProvider; tracker: RecordingTracker }> {
  const provider = new CompletionsProvider();
  const tracker = new RecordingTracker();
  const hub = await createHub({
    config: loadConfig({
      cwd: mkdtempSync(join(tempRoot, 'hub-')),
      env: {
        EVALHUB_DISCOVER_PLUGINS: 'false',
        EVALHUB_MODEL_SERVER_VLLM: serverUrl,
        EVALHUB_MODEL_SERVER_VLLM_API_KEY: KEY,
        EVALHUB_MODEL_SERVER_VLLM_MAX_CONCURRENCY: '32',
        ...env,
      },
    }),
    providers: [provider, new ScriptedProvider()],
    tracker,
    logger: silentLogger(),
    ...extra,
  });
  hubs.push(hub);
  return { hub, provider, tracker };
}

const model = { server: 'vllm', name: 'm' };
const echo = (config: Record<string, unknown> = {}) => ({
  model,
  benchmarks: [{ benchmark_id: 'echo', provider_id: 'completions', config }],
});

describe('benchmarks routed through the model gateway', () => {
  it('give the engine the gateway URL and no key; the gateway adds it; perf data is stored and tracked', async () => {
    const { hub, provider, tracker } = await makeHub();
    const before = seen.length;
    const e = await hub.evaluate({
      ...echo(),
      benchmarks: [...echo().benchmarks, { benchmark_id: 'ok', provider_id: 'scripted', config: {} }],
    });
    expect(e.status).toBe('completed');
    const run = provider.runs[0]!;
    expect(run.task.modelApiKey).toBeUndefined();
    expect(run.gateway).toEqual({
      baseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/r\/[0-9a-f]{32}\/v1$/),
      concurrency: 32,
    });
    expect(seen.slice(before).map((s) => s.auth)).toEqual([
      `Bearer ${KEY}`,
      `Bearer ${KEY}`,
      `Bearer ${KEY}`,
    ]);
    // a provider that does not use the gateway keeps the model URL and key
    const scripted = hub.providers.get('scripted') as ScriptedProvider;
    expect(scripted.runs[0]!.modelApiKey).toBe(KEY);

    const b = e.benchmarks[0]!;
    expect(b.perf).toMatchObject({
      requests: 3,
      errors: 0,
      cache_hits: 0,
      prompt_tokens: 9,
      completion_tokens: 3,
    });
    expect(b.perf!.latency_p99_ms).toBeGreaterThan(0);
    expect(b.cache).toBeUndefined();
    expect(e.benchmarks[1]!.perf).toBeUndefined();
    // a routed benchmark that sent no model request has no perf data
    const none = await hub.evaluate(echo({ n: 0 }));
    expect(none.benchmarks[0]!.perf).toBeUndefined();
    await hub.service.trackingIdle();
    const metrics = tracker.metrics(e.id);
    expect(metrics).toMatchObject({ 'echo.perf.requests': 3, 'echo.perf.cache_hits': 0 });
    expect(
      Object.keys(metrics)
        .filter((k) => k.startsWith('echo.perf.'))
        .sort(),
    ).toEqual(
      Object.keys(b.perf!)
        .map((k) => `echo.perf.${k}`)
        .sort(),
    );
    expect(tracker.tags(e.id)['evalhub.cache']).toBeUndefined();
  });

  it('answer an identical re-run from the cache (same scores, no model request) and miss on a changed setting', async () => {
    const { hub, provider, tracker } = await makeHub();
    const first = await hub.evaluate(echo({ cache: true }));
    const requests = seen.length;
    const again = await hub.evaluate(echo({ cache: true }));
    expect(seen.length).toBe(requests);
    expect(again.benchmarks[0]!.results!.metrics).toEqual(first.benchmarks[0]!.results!.metrics);
    expect(again.benchmarks[0]).toMatchObject({ cache: 'hit', perf: { requests: 3, cache_hits: 3 } });
    // `cache` is the hub's setting: the provider never sees it
    expect(provider.runs[1]!.task.benchmark.config).toEqual({});
    await hub.service.trackingIdle();
    expect(tracker.tags(again.id)).toMatchObject({
      'evalhub.cache': 'hit',
      'evalhub.benchmark.echo.cache': 'hit',
    });

    const changed = await hub.evaluate(echo({ cache: true, suffix: '!' }));
    expect(seen.length).toBe(requests + 3);
    expect(changed.benchmarks[0]!.cache).toBeUndefined();
    const partly = await hub.evaluate(echo({ cache: true, n: 4 }));
    expect(seen.length).toBe(requests + 4);
    expect(partly.benchmarks[0]).toMatchObject({ cache: 'partial', perf: { requests: 4, cache_hits: 3 } });
  });

  it('cache by the hub default (evaluation.cache) unless a benchmark says otherwise', async () => {
    const { hub } = await makeHub({ EVALHUB_CACHE: 'true' });
    await hub.evaluate(echo({ suffix: '?' }));
    const requests = seen.length;
    expect((await hub.evaluate(echo({ suffix: '?' }))).benchmarks[0]!.cache).toBe('hit');
    expect((await hub.evaluate(echo({ suffix: '?', cache: false }))).benchmarks[0]!.cache).toBeUndefined();
    expect(seen.length).toBe(requests + 3);
  });

  it('refuse a config.cache that is not a boolean with a 400 on its field', async () => {
    const { hub } = await makeHub();
    const err = await hub.service.submit(echo({ cache: 'yes' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).details).toEqual([
      { pointer: '/benchmarks/0/config/cache', message: 'Must be true or false.' },
    ]);
  });

  it('are not routed when the gateway is off, or by default with a runtime other than the local one', async () => {
    const off = await makeHub({ EVALHUB_GATEWAY: 'false' });
    const e = await off.hub.evaluate(echo());
    expect(off.provider.runs[0]).toMatchObject({ gateway: undefined, task: { modelApiKey: KEY } });
    expect(e.benchmarks[0]!.perf).toBeUndefined();

    const local = new LocalRuntime({ stateDir: join(tempRoot, 'remote-runtime') });
    const remote = { name: 'remote-test', exec: local.exec.bind(local) };
    const elsewhere = await makeHub({}, { runtime: remote });
    await elsewhere.hub.evaluate(echo());
    expect(elsewhere.provider.runs[0]!.gateway).toBeUndefined();
    const forced = await makeHub({ EVALHUB_GATEWAY: 'true' }, { runtime: remote });
    await forced.hub.evaluate(echo());
    expect(forced.provider.runs[0]!.gateway).toBeDefined();
  });
});

describe('gateway helpers', () => {
  it('take the hub setting out of the provider config', () => {
    const config = { n: 1 };
    expect(providerConfig(config)).toBe(config);
    expect(providerConfig({ n: 1, cache: true })).toEqual({ n: 1 });
  });

  it('mark an evaluation hit only when every routed benchmark was answered from the cache', () => {
    const b = (cache?: 'hit' | 'partial', perf = true) =>
      ({ ...(perf ? { perf: { requests: 1 } } : {}), ...(cache ? { cache } : {}) }) as never;
    const e = (...benchmarks: never[]) => ({ benchmarks }) as never;
    expect(evaluationCache(e(b(), b()))).toBeUndefined();
    expect(evaluationCache(e(b('hit'), b(undefined, false)))).toBe('hit');
    expect(evaluationCache(e(b('hit'), b()))).toBe('partial');
    expect(evaluationCache(e(b('partial')))).toBe('partial');
  });
});
