import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, testServer, type TestServer } from './support/harness.js';

interface Case {
  name: string;
  method: string;
  path: string;
  status: number;
  pointer: string;
  /** JSON body (any JSON value, lone surrogates included as \u escapes). */
  body?: unknown;
  /** Raw body bytes, base64, sent as application/json. */
  raw?: string;
}

const corpus = JSON.parse(readFileSync(join(import.meta.dirname, 'bad-input', 'corpus.json'), 'utf8')) as {
  cases: Case[];
};

// The real server with the real lm-eval and RAGAS plugins (their catalogs and config schemas); every
// case is refused at submission, so no engine runs.
let s: TestServer;
beforeAll(async () => {
  s = await testServer({
    config: { plugins: ['@evalhub/provider-lmeval', '@evalhub/provider-ragas'] },
    hubOptions: { providers: [], resolveFrom: [join(import.meta.dirname, '..', '..', '..')] },
  });
});
afterAll(async () => s?.stop());

describe('bad-input corpus against the real server', () => {
  it('holds at least 100 cases', () => {
    expect(corpus.cases.length).toBeGreaterThanOrEqual(100);
  });

  it.each(corpus.cases.map((c) => [c.name, c] as const))(
    'refuses %s with a 4xx naming the field',
    async (_n, c) => {
      const body =
        c.raw !== undefined
          ? Buffer.from(c.raw, 'base64')
          : c.body !== undefined
            ? JSON.stringify(c.body)
            : undefined;
      const r = await http(s.url, c.method, c.path, {
        ...(body !== undefined ? { body, headers: { 'content-type': 'application/json' } } : {}),
      });
      expect(r.status, r.text).toBe(c.status);
      expect(r.headers.get('content-type')).toMatch(/application\/json/);
      const pointers = (r.body.error.details as { pointer: string }[]).map((d) => d.pointer);
      expect(pointers, r.text).toContain(c.pointer);
      expect(r.body.request_id).toEqual(expect.any(String));
    },
  );

  it('stored nothing', async () => {
    expect((await http(s.url, 'GET', '/api/v1/evaluations?limit=1')).body.total).toBe(0);
    expect(
      (await http(s.url, 'GET', '/api/v1/collections')).body.items.map((c: { id: string }) => c.id),
    ).not.toContain('my-suite');
  });
});
