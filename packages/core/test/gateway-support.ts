/** Helpers of the model gateway integration tests: engines played by plain HTTP clients. */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';
import { ModelGateway } from '../src/index.js';
import type { GatewayRoute, ModelGatewayOptions } from '../src/index.js';

export const fixture = inject('fixtureModelUrl');
export const tmp = mkdtempSync(join(tmpdir(), 'evalhub-gateway-int-'));
const gateways: ModelGateway[] = [];
export const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  rmSync(tmp, { recursive: true, force: true });
});

let seq = 0;
export const unique = (): string => `gw${Date.now().toString(36)}${(seq++).toString(36)}`;

export function gateway(options: ModelGatewayOptions = {}): ModelGateway {
  const g = new ModelGateway(options);
  gateways.push(g);
  return g;
}

/** A loglikelihood request as lm-eval sends it (greedy, seeded, echo with logprobs). */
export const llBody = (i: number, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    model: 'fixture',
    prompt: `Question: what is item ${i}?\nAnswer: number ${i}`,
    temperature: 0,
    max_tokens: 1,
    logprobs: 1,
    seed: 1234,
    echo: true,
    ...extra,
  });

export const post = (url: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

/** The route's root (without `/v1`), so a client can put fixture switches in the path. */
export const rootOf = (route: GatewayRoute): string => route.baseUrl.replace(/\/v1$/, '');

export interface LoadResult {
  statuses: number[];
  startedMs: number;
  endedMs: number;
}

/**
 * A request that costs the fixture almost no CPU, so on a busy machine the server's capacity model
 * (not the fixture's compute) is what limits throughput.
 */
export const tinyBody = (i: number): string =>
  JSON.stringify({ model: 'fixture', prompt: `q${i}`, temperature: 0, max_tokens: 1 });

/** An engine: `concurrency` workers sending `total` requests (`body(i)`, tiny by default) to `url(i)`. */
export async function load(
  total: number,
  concurrency: number,
  url: (i: number) => string,
  body: (i: number) => string = tinyBody,
): Promise<LoadResult> {
  const statuses: number[] = [];
  let next = 0;
  const startedMs = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const res = await post(url(i), body(i));
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    }),
  );
  return { statuses, startedMs, endedMs: performance.now() };
}

export async function capacityStats(key: string): Promise<Record<string, number>> {
  const all = (await (await fetch(`${fixture}/_fixture/capacity`)).json()) as Record<
    string,
    Record<string, number>
  >;
  return all[key] ?? {};
}

/** Samples `f()` every 50 ms until stopped (observation, not synchronisation). */
export function sampler<T>(f: () => T): { stop: () => { at: number; value: T }[] } {
  const samples: { at: number; value: T }[] = [];
  const t = setInterval(() => samples.push({ at: performance.now(), value: f() }), 50);
  return {
    stop: () => {
      clearInterval(t);
      return samples;
    },
  };
}

export const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
