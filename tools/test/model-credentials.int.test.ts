import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Evaluation } from '@evalhub/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { faultyNetwork, resolvePython, repoRoot, type FaultyNetwork } from '../src/index.js';
import { startHubProcess, type HubProcess } from '../src/testing/hub-process.js';

// Real parts: `evalhub serve` as a process, real lm-eval (preflight included); the fixture model
// server stands in for model weights. Two recording hops in front of it stand for the network to the
// configured model server and to a host a client names in model.url.

const SECRET = 'sk-configured-vllm-key-93417';

let top: string;
let hub: HubProcess;
let configured: FaultyNetwork;
let elsewhere: FaultyNetwork;
const authSeen = { configured: [] as string[], elsewhere: [] as string[] };

async function evaluate(model: Record<string, unknown>): Promise<{ status: number; body: Evaluation }> {
  const res = await fetch(`${hub.url}/api/v1/evaluations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: { server: 'vllm', name: 'fixture', ...model },
      benchmarks: [
        {
          benchmark_id: 'arc_easy',
          provider_id: 'lm_evaluation_harness',
          config: { dataset_path: 'arc-sample.jsonl', limit: 2 },
        },
      ],
      experiment: { name: 'credentials' },
    }),
  });
  const created = (await res.json()) as Evaluation;
  if (res.status !== 202) return { status: res.status, body: created };
  for (;;) {
    const e = (await (await fetch(`${hub.url}/api/v1/evaluations/${created.id}`)).json()) as Evaluation;
    if (['completed', 'failed', 'partially_failed', 'cancelled'].includes(e.status))
      return { status: 202, body: e };
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  top = realpathSync(await mkdtemp(join(tmpdir(), 'evalhub-creds-')));
  const fixture = inject('fixtureModelUrl');
  configured = await faultyNetwork(fixture, () => 'pass', {
    onRequest: (h) => authSeen.configured.push(String(h.authorization ?? '')),
  });
  elsewhere = await faultyNetwork(fixture, () => 'pass', {
    onRequest: (h) => authSeen.elsewhere.push(String(h.authorization ?? '')),
  });
  const dataRoot = join(top, 'datasets');
  await mkdir(dataRoot, { recursive: true });
  await copyFile(
    join(repoRoot, 'packages', 'provider-lmeval', 'test', 'data', 'arc-sample.jsonl'),
    join(dataRoot, 'arc-sample.jsonl'),
  );
  const config = join(top, 'evalhub.config.json');
  await writeFile(
    config,
    JSON.stringify({
      data_dir: join(top, 'data'),
      data_root: dataRoot,
      tracker: 'none',
      discover_plugins: false,
      python: await resolvePython(),
      plugins: ['@evalhub/provider-lmeval'],
      model_servers: { vllm: { url: `${configured.uri}/v1`, api_key_env: 'TEST_VLLM_KEY' } },
    }),
  );
  hub = await startHubProcess({ config, env: { TEST_VLLM_KEY: SECRET } });
});

afterAll(async () => {
  await hub?.stop('SIGTERM');
  await configured?.close();
  await elsewhere?.close();
  if (top) await rm(top, { recursive: true, force: true });
});

describe("a configured model server's API key", () => {
  it('is sent to the configured server (preflight and lm-eval)', async () => {
    const { body } = await evaluate({});
    expect(body.status).toBe('completed');
    expect(authSeen.configured.length).toBeGreaterThan(1);
    const byPath = configured.seen.map((p, i) => ({ p, auth: authSeen.configured[i] }));
    // Every /v1 call carries the key (preflight's and lm-eval's); lm-eval's remote tokenizer calls
    // the root /tokenize and /tokenizer_info routes without one (vLLM leaves those unauthenticated).
    expect(byPath.filter((r) => r.p.includes(' /v1/')).map((r) => r.auth)).toEqual(
      byPath.filter((r) => r.p.includes(' /v1/')).map(() => `Bearer ${SECRET}`),
    );
    expect(byPath.some((r) => r.p === 'POST /v1/completions')).toBe(true);
    expect(new Set(authSeen.configured.filter(Boolean))).toEqual(new Set([`Bearer ${SECRET}`]));
  });

  it('is never sent to a URL the request names instead, even with the same model.server', async () => {
    const { body } = await evaluate({ url: `${elsewhere.uri}/v1` });
    expect(body.status).toBe('completed');
    expect(authSeen.elsewhere.length).toBeGreaterThan(1);
    expect(authSeen.elsewhere.filter((a) => a.includes(SECRET))).toEqual([]);
  });

  it('is refused inside model.url with a 400 saying how to configure a key; nothing is stored', async () => {
    const before = (await (await fetch(`${hub.url}/api/v1/evaluations?limit=100`)).json()) as {
      total: number;
    };
    for (const url of [`http://user:${SECRET}@127.0.0.1:9/v1`, `${elsewhere.uri}/v1?api_key=${SECRET}`]) {
      const { status, body } = await evaluate({ url });
      expect(status, url).toBe(400);
      const error = (body as unknown as { error: { details: { pointer: string; message: string }[] } }).error;
      expect(error.details[0]).toMatchObject({
        pointer: '/model/url',
        message: expect.stringMatching(/_API_KEY/),
      });
      expect(JSON.stringify(body)).not.toContain(SECRET);
    }
    const after = (await (await fetch(`${hub.url}/api/v1/evaluations?limit=100`)).json()) as {
      total: number;
    };
    expect(after.total).toBe(before.total);
    expect(hub.stderr()).not.toContain(SECRET);
  });
});
