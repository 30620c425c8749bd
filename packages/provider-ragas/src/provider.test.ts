import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
