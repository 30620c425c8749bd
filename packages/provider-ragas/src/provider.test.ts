import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalRuntime, createRunContext, silentLogger } from '@evalhub/core';
import type { BenchmarkTask } from '@evalhub/core';
import { RagasProvider } from './provider.js';

const dir = mkdtempSync(join(tmpdir(), 'ragas-provider-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'qa.jsonl'),
  '{"user_input":"q","response":"January 15, 1967","reference":"January 15, 1967"}\n',
);

const task = (evaluationId: string): BenchmarkTask => ({
  evaluationId,
  index: 0,
  benchmark: { benchmark_id: 'exact_match', provider_id: 'ragas', config: { dataset_path: 'qa.jsonl' } },
  model: { server: 'vllm', name: 'm', url: 'http://127.0.0.1:9/v1', configuration: {} },
  timeoutMs: 10_000,
});

describe('RagasProvider reads a dataset once per request', () => {
  it('run() uses what validate() parsed; a run without validation parses it itself', async () => {
    // `true` stands in for Python: it exits 0 without results, so the run fails after preparing
    const provider = new RagasProvider({ python: 'true', dataRoot: dir });
    const ctx = async (name: string) =>
      createRunContext({
        runtime: new LocalRuntime(),
        signal: new AbortController().signal,
        workDir: join(dir, name, 'work'),
        artifactDir: join(dir, name, 'artifacts'),
        artifactPrefix: 'exact_match',
        logFile: join(dir, name, 'run.log'),
        logger: silentLogger(),
      });
    expect(await provider.validate(task('ev-1'))).toEqual([]);
    expect(provider.datasetLoads).toBe(1);
    await expect(provider.run(task('ev-1'), await ctx('a'))).rejects.toMatchObject({ code: 'ragas_failed' });
    expect(provider.datasetLoads).toBe(1);
    await expect(provider.run(task('ev-2'), await ctx('b'))).rejects.toMatchObject({ code: 'ragas_failed' });
    expect(provider.datasetLoads).toBe(2);
  });
});

describe('RagasProvider through the model gateway', () => {
  writeFileSync(
    join(dir, 'rag.jsonl'),
    '{"user_input":"q","response":"r","retrieved_contexts":["c"],"reference":"r"}\n',
  );
  it("judges with the request's model at the gateway URL, without a key, at the gateway's concurrency", async () => {
    const provider = new RagasProvider({ python: 'true', dataRoot: dir, judgeApiKey: 'sk-judge-never-sent' });
    const run = async (config: Record<string, unknown>, name: string) => {
      const ctx = await createRunContext({
        runtime: new LocalRuntime(),
        signal: new AbortController().signal,
        workDir: join(dir, name, 'work'),
        artifactDir: join(dir, name, 'artifacts'),
        artifactPrefix: 'faithfulness',
        logFile: join(dir, name, 'run.log'),
        logger: silentLogger(),
        gateway: { baseUrl: 'http://127.0.0.1:4000/r/0123/v1', concurrency: 64 },
      });
      const t = task(name);
      t.benchmark = { benchmark_id: 'faithfulness', provider_id: 'ragas', config };
      await expect(provider.run(t, ctx)).rejects.toMatchObject({ code: 'ragas_failed' });
      return JSON.parse(readFileSync(join(dir, name, 'work', 'ragas-spec.json'), 'utf8')) as {
        concurrency: number;
        judge: { base_url: string; api_key_env?: string };
      };
    };
    const routed = await run({ dataset_path: 'rag.jsonl' }, 'gw-1');
    expect(routed.judge.base_url).toBe('http://127.0.0.1:4000/r/0123/v1');
    expect(routed.judge.api_key_env).toBeUndefined();
    expect(routed.concurrency).toBe(64);
    // a judge of its own is reached directly, with the provider's judge key
    const own = await run({ dataset_path: 'rag.jsonl', judge: { url: 'http://judge:8000/v1' } }, 'gw-2');
    expect(own.judge).toMatchObject({ base_url: 'http://judge:8000/v1', api_key_env: expect.any(String) });
    expect(own.concurrency).toBe(4);
  });
});
