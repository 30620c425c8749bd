import type { Evaluation } from '@evalhub/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, testServer, type TestServer } from './support/harness.js';

// The eval-hub-compatible API over HTTP on the real server (SQLite store in a temp folder), with the
// spec's catalog providers (benchmarks that do what their config says) instead of evaluation engines:
// what is under test is the mapping, the retries and the errors. compat-sdk.int.test.ts drives it with
// eval-hub's own SDK and real lm-eval.
let s: TestServer;
beforeAll(async () => {
  s = await testServer();
});
afterAll(async () => {
  await s?.stop();
});

const job = (name: string, config: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  model: { url: 'http://127.0.0.1:9/v1', name: 'm' },
  benchmarks: [{ id: 'arc_easy', provider_id: 'lm_evaluation_harness', parameters: config, weight: 2 }],
  experiment: { name: 'compat-api', tags: [{ key: 'team', value: 'a' }] },
});

describe('eval-hub-compatible API', () => {
  it('treats a resubmitted identical body as a retry, and a changed one as a new job', async () => {
    const first = await http(s.url, 'POST', '/api/v1/evaluations/jobs', { json: job('retry-me') });
    expect(first.status).toBe(202);
    expect(first.headers.get('location')).toBe(`/api/v1/evaluations/jobs/${first.body.resource.id}`);
    const again = await http(s.url, 'POST', '/api/v1/evaluations/jobs', { json: job('retry-me') });
    expect(again.status).toBe(200);
    expect(again.body.resource.id).toBe(first.body.resource.id);
    // The same body from another caller (X-Tenant) is not a retry of the first.
    const other = await http(s.url, 'POST', '/api/v1/evaluations/jobs', {
      json: job('retry-me'),
      headers: { 'X-Tenant': 'team-b' },
    });
    expect(other.body.resource.id).not.toBe(first.body.resource.id);
    const changed = await http(s.url, 'POST', '/api/v1/evaluations/jobs', { json: job('retry-me-2') });
    expect(changed.status).toBe(202);
    expect(changed.body.resource.id).not.toBe(first.body.resource.id);
    const keyed = await http(s.url, 'POST', '/api/v1/evaluations/jobs', {
      json: job('retry-me'),
      headers: { 'Idempotency-Key': 'my-own-key' },
    });
    expect(keyed.body.resource.id).not.toBe(first.body.resource.id);
    for (const id of [first, other, changed, keyed].map((r) => r.body.resource.id as string))
      await s.hub.service.wait(id);
  });

  it('shows one evaluation two ways, including evaluations submitted through our own API', async () => {
    const created = await http(s.url, 'POST', '/api/v1/evaluations/jobs', {
      json: job('two-views', { metrics: { acc: 0.9 } }),
    });
    const id = created.body.resource.id as string;
    await s.hub.service.wait(id);
    const view = (await http(s.url, 'GET', `/api/v1/evaluations/jobs/${id}`)).body;
    const ours = (await http<Evaluation>(s.url, 'GET', `/api/v1/evaluations/${id}`)).body;
    expect(view.status.state).toBe(ours.status);
    expect(view.status.state).toBe('completed');
    expect(view.results.benchmarks[0].metrics).toEqual(ours.benchmarks[0]!.results!.metrics);
    expect(view.benchmarks[0]).toMatchObject({ id: 'arc_easy', weight: 2 });
    expect(view.experiment).toEqual({ name: 'compat-api', tags: [{ key: 'team', value: 'a' }] });

    const native = await http<Evaluation>(s.url, 'POST', '/api/v1/evaluations', {
      json: {
        model: { server: 'vllm', name: 'native' },
        benchmarks: [{ benchmark_id: 'ok', provider_id: 'scripted' }],
        experiment: { name: 'native-exp' },
      },
    });
    await s.hub.service.wait(native.body.id);
    const listed = await http(s.url, 'GET', '/api/v1/evaluations/jobs?status=completed&limit=100');
    expect(listed.status).toBe(200);
    expect(listed.body.total_count).toBeGreaterThanOrEqual(2);
    const nativeView = listed.body.items.find(
      (j: { resource: { id: string } }) => j.resource.id === native.body.id,
    );
    expect(nativeView).toMatchObject({ name: 'native-exp', model: { name: 'native' } });
    expect(
      listed.body.items.every((j: { status: { state: string } }) => j.status.state === 'completed'),
    ).toBe(true);
    const paged = await http(s.url, 'GET', '/api/v1/evaluations/jobs?limit=1');
    expect(paged.body.items).toHaveLength(1);
    expect(paged.body.next.href).toContain('offset=1');
  });

  it("answers client mistakes with a 4xx naming the job's own field, in both error shapes", async () => {
    const bad = await http(s.url, 'POST', '/api/v1/evaluations/jobs', {
      json: { ...job('bad'), benchmarks: [{ id: 'arc_eazy', provider_id: 'lm_evaluation_harness' }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].pointer).toBe('/benchmarks/0/id');
    expect(bad.body.message_code).toBe('request_validation_failed');
    expect(bad.body.message).toContain("Did you mean 'arc_easy'");
    expect(bad.body.trace).toBe(bad.body.request_id);

    const noUrl = await http(s.url, 'POST', '/api/v1/evaluations/jobs', {
      json: { ...job('x'), model: { name: 'm', url: '' } },
    });
    expect(noUrl.status).toBe(400);
    expect(noUrl.body.error.details[0].pointer).toBe('/model/url');
    const unknownCollection = await http(s.url, 'POST', '/api/v1/evaluations/jobs', {
      json: { name: 'c', model: { url: 'http://h/v1', name: 'm' }, collection: { id: 'nope' } },
    });
    expect(unknownCollection.status).toBe(400);
    expect(unknownCollection.body.message_code).toBe('resource_does_not_exist');
    const typo = await http(s.url, 'POST', '/api/v1/evaluations/jobs', { json: { ...job('t'), namee: 1 } });
    expect(typo.status).toBe(400);
    expect(typo.body.error.details[0].pointer).toBe('/namee');
    const filter = await http(s.url, 'GET', '/api/v1/evaluations/jobs?status=running|pending');
    expect(filter.status).toBe(400);
    expect(filter.body.message_code).toBe('query_bad_parameter');
    const missing = await http(s.url, 'GET', '/api/v1/evaluations/jobs/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.message_code).toBe('resource_not_found');
    const byo = await http(s.url, 'POST', '/api/v1/evaluations/providers', { json: { name: 'p' } });
    expect(byo.status).toBe(405);
  });

  it('hard-deletes a running job: it stops and is gone from both views', async () => {
    const created = await http(s.url, 'POST', '/api/v1/evaluations/jobs', {
      json: job('delete-me', { durationMs: 60_000 }),
    });
    const id = created.body.resource.id as string;
    const gone = await http(s.url, 'DELETE', `/api/v1/evaluations/jobs/${id}?hard_delete=true`);
    expect(gone.status).toBe(204);
    expect((await http(s.url, 'GET', `/api/v1/evaluations/jobs/${id}`)).status).toBe(404);
    expect((await http(s.url, 'GET', `/api/v1/evaluations/${id}`)).status).toBe(404);
    expect((await http(s.url, 'DELETE', `/api/v1/evaluations/jobs/${id}`)).status).toBe(404);
  });

  it('keeps collection fields our collections lack (category, weights, pass criteria) and patches them', async () => {
    const created = await http(s.url, 'POST', '/api/v1/evaluations/collections', {
      json: {
        name: 'Weighted',
        category: 'reasoning',
        pass_criteria: { threshold: 0.7 },
        benchmarks: [
          {
            id: 'arc_easy',
            provider_id: 'lm_evaluation_harness',
            weight: 3,
            parameters: { metrics: { acc: 0.8 } },
          },
          { id: 'hellaswag', provider_id: 'lm_evaluation_harness', primary_score: { metric: 'acc' } },
        ],
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.resource.id as string;
    const ours = (await http(s.url, 'GET', `/api/v1/collections/${id}`)).body;
    expect(ours.eval_hub).toMatchObject({ category: 'reasoning', benchmarks: [{ weight: 3 }, {}] });
    const patched = await http(s.url, 'PATCH', `/api/v1/evaluations/collections/${id}`, {
      json: { category: 'knowledge' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      name: 'Weighted',
      category: 'knowledge',
      pass_criteria: { threshold: 0.7 },
    });
    expect(patched.body.benchmarks.map((b: { weight: number }) => b.weight)).toEqual([3, 1]);
    const array = await http(s.url, 'PATCH', `/api/v1/evaluations/collections/${id}`, {
      json: [{ op: 'replace', path: '/name', value: 'x' }],
    });
    expect(array.status).toBe(400);

    // A job over the collection snapshots its weights and scores like eval-hub.
    const run = await http(s.url, 'POST', '/api/v1/evaluations/jobs', {
      json: { name: 'over-collection', model: { url: 'http://h/v1', name: 'm' }, collection: { id } },
    });
    expect(run.status).toBe(202);
    await s.hub.service.wait(run.body.resource.id);
    const view = (await http(s.url, 'GET', `/api/v1/evaluations/jobs/${run.body.resource.id}`)).body;
    expect(view.collection).toEqual({ id });
    expect(view.pass_criteria).toEqual({ threshold: 0.7 });
    expect(view.benchmarks.map((b: { weight?: number }) => b.weight)).toEqual([3, 1]); // the patch wrote the default weight out
    expect((await http(s.url, 'DELETE', `/api/v1/evaluations/collections/${id}`)).status).toBe(204);
  });

  it('gets one provider, replaces a collection whole, and tails logs by tail_lines', async () => {
    const provider = await http(s.url, 'GET', '/api/v1/evaluations/providers/lm_evaluation_harness');
    expect(provider.status).toBe(200);
    expect(provider.body.resource.id).toBe('lm_evaluation_harness');
    expect(provider.body.benchmarks.map((b: { id: string }) => b.id)).toContain('arc_easy');
    expect(provider.body.benchmarks.every((b: { category?: string }) => Boolean(b.category))).toBe(true);
    const unknown = await http(s.url, 'GET', '/api/v1/evaluations/providers/lm_eval');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toContain('lm_evaluation_harness');

    const created = await http(s.url, 'POST', '/api/v1/evaluations/collections', {
      json: {
        name: 'Before',
        category: 'reasoning',
        description: 'to be replaced',
        benchmarks: [{ id: 'arc_easy', provider_id: 'lm_evaluation_harness', weight: 2 }],
      },
    });
    const cid = created.body.resource.id as string;
    const replaced = await http(s.url, 'PUT', `/api/v1/evaluations/collections/${cid}`, {
      json: {
        name: 'After',
        category: 'language',
        benchmarks: [{ id: 'hellaswag', provider_id: 'lm_evaluation_harness', weight: 5 }],
      },
    });
    expect(replaced.status).toBe(200);
    const read = (await http(s.url, 'GET', `/api/v1/evaluations/collections/${cid}`)).body;
    expect(read).toMatchObject({ name: 'After', category: 'language' });
    expect(read.description ?? '').toBe(''); // a PUT replaces: what it leaves out is gone
    expect(read.benchmarks).toMatchObject([{ id: 'hellaswag', weight: 5 }]);
    expect((await http(s.url, 'DELETE', `/api/v1/evaluations/collections/${cid}`)).status).toBe(204);

    const logged = await http(s.url, 'POST', '/api/v1/evaluations/jobs', {
      json: job('tail-me', { steps: 5 }),
    });
    const id = logged.body.resource.id as string;
    await s.hub.service.wait(id);
    const lines = async (path: string): Promise<string[]> => {
      const res = await fetch(`${s.url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      return (await res.text()).trimEnd().split('\n');
    };
    const whole = await lines(`/api/v1/evaluations/jobs/${id}/logs`);
    expect(whole[0]).toMatch(/^=== benchmark_index=0 benchmark_id=arc_easy /);
    expect(whole.filter((l) => /^step \d\/5$/.test(l))).toHaveLength(5);
    const last = await lines(`/api/v1/evaluations/jobs/${id}/logs?tail_lines=1`);
    expect(last).toHaveLength(2); // the header and the benchmark's last line
    expect(last[1]).toBe(whole.at(-1));
    const one = await lines(`/api/v1/evaluations/jobs/${id}/benchmarks/0/logs?tail_lines=2`);
    expect(one.slice(1)).toEqual(whole.slice(-2));
    const badTail = await http(s.url, 'GET', `/api/v1/evaluations/jobs/${id}/logs?tail_lines=0`);
    expect(badTail.status).toBe(400);
    const badIndex = await http(s.url, 'GET', `/api/v1/evaluations/jobs/${id}/benchmarks/7/logs`);
    expect(badIndex.status).toBe(404);
    expect(badIndex.body.message).toContain('0 to 0');
  });

  it("serves eval-hub's health and the same routes under /eval-hub", async () => {
    const health = await http(s.url, 'GET', '/eval-hub/api/v1/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('healthy');
    expect(Date.parse(health.body.timestamp)).not.toBeNaN();
    const providers = await http(s.url, 'GET', '/eval-hub/api/v1/evaluations/providers');
    expect(providers.body.total_count).toBe(providers.body.items.length);
    expect(providers.body.items[0].benchmarks[0].category).toBeTruthy();
    expect((await http(s.url, 'GET', '/api/v1/health')).body.status).toBe('ok'); // ours, unchanged
  });
});
