import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHub, loadConfig, silentLogger } from '@evalhub/core';
import { verifyProvider } from '@evalhub/core/testing';
import { describe, expect, inject, it } from 'vitest';
import { ExactMatchProvider, normalize } from '../src/index.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const modelUrl = `${inject('fixtureModelUrl')}/v1`;
const model = {
  server: 'fixture',
  name: 'fixture',
  url: modelUrl,
  configuration: { temperature: 0, max_tokens: 16 },
};

/** What the model answers, asked directly (the independent reference for the expected score). */
async function ask(question: string): Promise<string> {
  const res = await fetch(`${modelUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'fixture',
      messages: [{ role: 'user', content: question }],
      temperature: 0,
      max_tokens: 16,
    }),
  });
  return ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
}

/** A dataset where the reference answer is the model's own answer for the first `hits` questions. */
async function dataset(dir: string, hits: number): Promise<string> {
  const questions = readFileSync(join(repoRoot, 'examples/provider-exact-match/data/capitals.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { question: string }).question);
  const lines = [];
  for (const [i, question] of questions.entries()) {
    const answer = i < hits ? await ask(question) : `definitely not ${i}`;
    lines.push(JSON.stringify({ question, answer }));
  }
  writeFileSync(join(dir, 'qa.jsonl'), lines.join('\n') + '\n');
  return 'qa.jsonl';
}

describe('example third-party provider', () => {
  it('passes the conformance kit with a real run against the fixture model server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evalhub-em-'));
    const path = await dataset(dir, 2);
    await verifyProvider(new ExactMatchProvider({ dataRoot: dir }), {
      run: { benchmark_id: 'qa_exact_match', config: { dataset_path: path }, model },
    });
  });

  it('is loaded by package name from config and scores exactly the matching share', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'evalhub-em-'));
    const path = await dataset(dir, 3);
    writeFileSync(
      join(dir, 'evalhub.config.json'),
      JSON.stringify({
        tracker: 'none',
        store: 'memory',
        discover_plugins: false,
        plugins: [{ name: 'evalhub-provider-exact-match', options: { concurrency: 2 } }],
        model_servers: { fixture: modelUrl },
      }),
    );
    const hub = await createHub({
      config: loadConfig({ cwd: dir, env: {} }),
      logger: silentLogger(),
      resolveFrom: [repoRoot],
    });
    try {
      expect(hub.plugins.map((p) => p.name)).toContain('evalhub-provider-exact-match');
      const e = await hub.evaluate({
        model: { server: 'fixture', name: 'fixture', configuration: { temperature: 0, max_tokens: 16 } },
        benchmarks: [
          { benchmark_id: 'qa_exact_match', provider_id: 'exact_match_qa', config: { dataset_path: path } },
        ],
      });
      expect(e.status).toBe('completed');
      expect(e.benchmarks[0]!.results!.metrics).toEqual({ exact_match: 3 / 4, answered: 1 });
      // it opts into the model gateway, so its four questions went through it and were counted
      expect(e.benchmarks[0]!.perf).toMatchObject({ requests: 4, errors: 0 });
      await expect(
        hub.service.submit({
          model: { server: 'fixture', name: 'f' },
          benchmarks: [
            {
              benchmark_id: 'qa_exact_match',
              provider_id: 'exact_match_qa',
              config: { dataset_path: '../../etc/passwd' },
            },
          ],
        }),
      ).rejects.toMatchObject({ details: [{ pointer: '/benchmarks/0/config/dataset_path' }] });
    } finally {
      await hub.close();
    }
  });

  it('normalises case, spaces and trailing punctuation', () => {
    expect(normalize('  Paris. ')).toBe('paris');
    expect(normalize('New   York!')).toBe('new york');
  });
});
