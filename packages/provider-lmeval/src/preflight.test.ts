import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkPromptLogprobs, preflight, serverRoot } from './preflight.js';

const body = (values: unknown[]): unknown => ({ choices: [{ logprobs: { token_logprobs: values } }] });

describe('checkPromptLogprobs (chance-level canary)', () => {
  it('accepts a logprob per prompt token after the first, plus the generated one', () => {
    expect(() => checkPromptLogprobs(body([null, -1.2, -0.3, -2.0]), 3)).not.toThrow();
  });
  it('fires when only the generated token has a logprob, or prompt logprobs are null', () => {
    expect(() => checkPromptLogprobs(body([-0.5]), 3)).toThrow(/chance/);
    expect(() => checkPromptLogprobs(body([null, null, null, -0.5]), 3)).toThrow(
      /2 of the 3 logprobs after the first token are null/,
    );
    expect(() => checkPromptLogprobs({ choices: [{ logprobs: null }] })).toThrow(/no logprobs/);
  });
});

describe('serverRoot', () => {
  it('strips /v1 to reach the tokenizer endpoints, keeping path prefixes', () => {
    expect(serverRoot('http://h:8000/v1')).toBe('http://h:8000');
    expect(serverRoot('http://h/_/latency=5/v1/')).toBe('http://h/_/latency=5');
  });
});

describe('preflight through transient server trouble', () => {
  /** A stand-in model server: the first `failures` requests per path answer 503 with Retry-After: 0. */
  async function flakyServer(
    failures: number,
  ): Promise<{ url: string; hits: Map<string, number>; close: () => Promise<void> }> {
    const hits = new Map<string, number>();
    const server = createServer((req, res) => {
      const path = req.url ?? '/';
      const seen = (hits.get(path) ?? 0) + 1;
      hits.set(path, seen);
      req.resume();
      req.on('end', () => {
        if (seen <= failures) {
          res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' });
          res.end(JSON.stringify({ error: { message: 'loading' } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        if (path === '/v1/models') res.end(JSON.stringify({ data: [{ id: 'm' }] }));
        else res.end(JSON.stringify({ choices: [{ text: 'x' }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/v1`,
      hits,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  const input = (baseUrl: string, retryBudgetMs?: number) => ({
    baseUrl,
    model: 'm',
    needsLoglikelihood: false,
    chat: false,
    tokenizerBackend: 'none' as const,
    signal: new AbortController().signal,
    ...(retryBudgetMs !== undefined ? { retryBudgetMs } : {}),
  });

  it('asks for a batch when told to: two choices for two prompts, else one prompt per request', async () => {
    const server = await flakyServer(0);
    try {
      // the stand-in answers one choice whatever the prompts: no batching
      const single = await preflight({ ...input(server.url), probeBatch: true });
      expect(single.batchPrompts).toBe(false);
      expect(single.notes.join('\n')).toMatch(/1 choice\(s\) for 2 prompts\): one prompt per request/);
      expect(server.hits.get('/v1/completions')).toBe(2);
      const unasked = await preflight(input(server.url));
      expect(unasked.batchPrompts).toBeUndefined();
      expect(server.hits.get('/v1/completions')).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('two 503s with Retry-After: 0, then healthy: passes, and says so in its notes', async () => {
    const server = await flakyServer(2);
    try {
      const result = await preflight(input(server.url));
      expect(result.modelType).toBe('local-completions');
      expect(server.hits.get('/v1/models')).toBe(3);
      expect(server.hits.get('/v1/completions')).toBe(3);
      expect(result.notes.join('\n')).toMatch(
        /GET .*\/v1\/models: HTTP 503, trying again in 0 ms \(attempt 2\)/,
      );
    } finally {
      await server.close();
    }
  });

  it('a server that stays unavailable fails once the budget is spent, naming the attempts', async () => {
    const server = await flakyServer(1_000);
    try {
      await expect(preflight(input(server.url, 1_000))).rejects.toMatchObject({
        code: 'model_unavailable',
        message: expect.stringMatching(/HTTP 503 after \d+ attempts/),
      });
    } finally {
      await server.close();
    }
  });

  it('a refused connection is retried within the budget, then reported as unreachable', async () => {
    const server = await flakyServer(0);
    const url = server.url;
    await server.close();
    const started = Date.now();
    await expect(preflight(input(url, 600))).rejects.toMatchObject({
      code: 'model_unreachable',
      message: expect.stringMatching(/ECONNREFUSED; \d+ attempts over \d+ s/),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});
