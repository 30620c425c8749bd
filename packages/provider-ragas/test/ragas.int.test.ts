import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BenchmarkFailedError, createRunContext, LocalRuntime, silentLogger } from '@evalhub/core';
import type { BenchmarkOutcome, BenchmarkTask, Progress } from '@evalhub/core';
import { verifyProvider } from '@evalhub/core/testing';
import { impliedFaithfulness, resolvePython } from '@evalhub/tools';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RagasProvider, SUITES } from '../src/index.js';

const packageDir = dirname(dirname(fileURLToPath(import.meta.url)));
const dataRoot = join(packageDir, 'data');
const samplePath = join(dataRoot, 'sample.jsonl');
const NO_LLM = SUITES.rag_no_llm!.metrics;

let python: string;
let scratch: string;
let provider: RagasProvider;
let runs = 0;

beforeAll(async () => {
  python = await resolvePython();
  scratch = await mkdtemp(join(tmpdir(), 'ragas-int-'));
  provider = new RagasProvider({ python, dataRoot, concurrency: 4, timeoutSeconds: 60, killGraceMs: 1_000 });
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function task(
  benchmarkId: string,
  config: Record<string, unknown>,
  modelUrl = 'http://127.0.0.1:9/v1',
): BenchmarkTask {
  return {
    evaluationId: 'int-test',
    index: 0,
    benchmark: { benchmark_id: benchmarkId, provider_id: 'ragas', config },
    model: { server: 'fixture', name: 'fixture-judge', url: modelUrl, configuration: {} },
    timeoutMs: 600_000,
  };
}

interface Run {
  outcome?: BenchmarkOutcome;
  error?: unknown;
  progress: Progress[];
  artifacts: Map<string, string>;
  ms: number;
}

async function run(
  t: BenchmarkTask,
  options: { abortOnFirstProgress?: boolean; with?: RagasProvider } = {},
): Promise<Run & { dir: string }> {
  const dir = join(scratch, `run-${++runs}`);
  const controller = new AbortController();
  const progress: Progress[] = [];
  const artifacts = new Map<string, string>();
  const ctx = await createRunContext({
    runtime: new LocalRuntime(),
    signal: controller.signal,
    workDir: join(dir, 'work'),
    artifactDir: join(dir, 'artifacts'),
    artifactPrefix: t.benchmark.benchmark_id,
    logFile: join(dir, 'benchmark.log'),
    logger: silentLogger(),
    onProgress: (p) => {
      progress.push(p);
      if (options.abortOnFirstProgress) controller.abort();
    },
    onArtifact: (a) => artifacts.set(a.name, a.path),
  });
  const started = performance.now();
  try {
    const outcome = await (options.with ?? provider).run(t, ctx);
    return { outcome, progress, artifacts, ms: performance.now() - started, dir };
  } catch (error) {
    return { error, progress, artifacts, ms: performance.now() - started, dir };
  }
}

const direct = new Map<string, Promise<Record<string, (number | null)[]>>>();
/** Scores computed by calling RAGAS directly (independently of the runner) on the same file; once per file. */
function ragasDirect(path: string): Promise<Record<string, (number | null)[]>> {
  if (!direct.has(path)) direct.set(path, computeDirect(path));
  return direct.get(path)!;
}

async function computeDirect(path: string): Promise<Record<string, (number | null)[]>> {
  const snippet = `
import json, math, sys, types
try:
    import langchain_community.chat_models.vertexai
except ImportError:  # ragas 0.4.3 imports a module newer langchain-community no longer has
    m = types.ModuleType("langchain_community.chat_models.vertexai"); m.ChatVertexAI = type("ChatVertexAI", (), {})
    sys.modules[m.__name__] = m
from ragas.dataset_schema import SingleTurnSample
from ragas.metrics import NonLLMContextRecall
from ragas.metrics.collections import ExactMatch, StringPresence, NonLLMStringSimilarity, BleuScore, RougeScore, CHRFScore
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
text = {"exact_match": ExactMatch(), "string_presence": StringPresence(), "non_llm_string_similarity": NonLLMStringSimilarity(),
        "bleu_score": BleuScore(), "rouge_score": RougeScore(), "chrf_score": CHRFScore()}
out = {k: [m.score(reference=r["reference"], response=r["response"]).value for r in rows] for k, m in text.items()}
recall = NonLLMContextRecall()
out["non_llm_context_recall"] = [recall.single_turn_score(SingleTurnSample(retrieved_contexts=r["retrieved_contexts"], reference_contexts=r["reference_contexts"])) for r in rows]
print(json.dumps({k: [None if math.isnan(v) else float(v) for v in vs] for k, vs in out.items()}))
`;
  const stdout = await new Promise<string>((ok, fail) =>
    execFile(
      python,
      ['-c', snippet, path],
      { env: { ...process.env, RAGAS_DO_NOT_TRACK: 'true' }, maxBuffer: 8 << 20 },
      (err, out, errOut) => (err ? fail(new Error(`${err.message}\n${errOut}`)) : ok(out)),
    ),
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, (number | null)[]>;
}

const jsonl = async (path: string) =>
  (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('RAGAS provider with real ragas', () => {
  it('gives exactly the no-LLM scores RAGAS computes directly on the bundled JSONL', async () => {
    const expected = await ragasDirect(samplePath);
    const r = await run(task('rag_no_llm', { dataset_path: 'sample.jsonl' }));
    expect(r.error).toBeUndefined();
    const rows = await jsonl(r.artifacts.get('rag_no_llm/scores.jsonl')!);
    expect(rows).toHaveLength(12);
    for (const m of NO_LLM) {
      const want = expected[m]!;
      expect(
        rows.map((row) => row[m]),
        m,
      ).toEqual(want);
      const finite = want.filter((v): v is number => v !== null);
      expect(r.outcome!.metrics[m], m).toBe(finite.reduce((a, b) => a + b, 0) / finite.length);
      expect(r.outcome!.metrics[`${m}_nan_count`]).toBe(want.length - finite.length);
    }
    expect(r.outcome!.samples).toBe(12);
    expect(r.outcome!.params).toMatchObject({
      ragas_version: '0.4.3',
      dataset_path: 'sample.jsonl',
      dataset_rows: 12,
    });
    const csv = (await readFile(r.artifacts.get('rag_no_llm/scores.csv')!, 'utf8')).trim().split('\n');
    expect(csv[0]).toBe(['index', 'user_input', ...NO_LLM, 'errors'].join(','));
    expect(csv).toHaveLength(13);
    expect(r.progress.at(-1)).toMatchObject({
      fraction: 1,
      completed: 12 * NO_LLM.length,
      total: 12 * NO_LLM.length,
    });
    console.info(`rag_no_llm (7 metrics x 12 rows): ${Math.round(r.ms)} ms`);
  });

  it("passes core's provider conformance kit with a real run", async () => {
    const checks = await verifyProvider(provider, {
      run: {
        benchmark_id: 'exact_match',
        config: { dataset_path: 'sample.jsonl', limit: 2 },
        model: task('x', {}).model,
      },
    });
    expect(checks.every((c) => c.ok)).toBe(true);
  });

  it('honours limit', async () => {
    const r = await run(task('exact_match', { dataset_path: './sample.jsonl', limit: 3 }));
    expect(r.outcome!.samples).toBe(3);
    const expected = (await ragasDirect(samplePath)).exact_match!.slice(0, 3) as number[];
    expect(r.outcome!.metrics.exact_match).toBe(expected.reduce((a, b) => a + b, 0) / 3);
  });

  describe('with the fixture model server as judge', () => {
    const rows = async () =>
      (await readFile(samplePath, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { response: string; retrieved_contexts: string[] });

    it('scores faithfulness as the fixture rules imply', async () => {
      const implied = (await rows()).map((row) => impliedFaithfulness(row.response, row.retrieved_contexts));
      expect(implied.some((v) => v < 1) && implied.some((v) => v === 1)).toBe(true);
      const mean = implied.reduce((a, b) => a + b, 0) / implied.length;
      const r = await run(task('faithfulness', { dataset_path: 'sample.jsonl' }, inject('fixtureModelUrl')));
      expect(r.error).toBeUndefined();
      expect(r.outcome!.metrics).toEqual({ faithfulness: expect.any(Number), faithfulness_nan_count: 0 });
      expect(r.outcome!.metrics.faithfulness).toBeCloseTo(mean, 12);
      const perRow = await jsonl(r.artifacts.get('faithfulness/scores.jsonl')!);
      expect(perRow.map((row) => row.faithfulness)).toEqual(implied);
      expect(r.outcome!.params).toMatchObject({ judge_model: 'fixture-judge', json_mode: 'json_object' });
      console.info(`faithfulness (12 rows, fixture judge): ${Math.round(r.ms)} ms`);
    });

    it('works with JSON asked for in the prompt (md_json) and a judge named in the config; the key stays secret', async () => {
      const implied = (await rows())
        .slice(0, 4)
        .map((row) => impliedFaithfulness(row.response, row.retrieved_contexts));
      const secret = 'sk-test-secret-4f9c2a';
      const keyed = new RagasProvider({ python, dataRoot, judgeApiKey: secret });
      const r = await run(
        task('faithfulness', {
          dataset_path: 'sample.jsonl',
          limit: 4,
          json_mode: 'md_json',
          judge: { url: inject('fixtureModelUrl'), model: 'other-judge' },
        }),
        { with: keyed },
      );
      expect(r.error).toBeUndefined();
      const files = await readdir(r.dir, { recursive: true, withFileTypes: true });
      const written = files.filter((f) => f.isFile()).map((f) => join(f.parentPath, f.name));
      expect(written.length).toBeGreaterThan(4);
      for (const file of written) expect(await readFile(file, 'utf8'), file).not.toContain(secret);
      expect(JSON.stringify(r.outcome)).not.toContain(secret);
      expect(r.outcome!.metrics.faithfulness).toBeCloseTo(implied.reduce((a, b) => a + b, 0) / 4, 12);
      expect(r.outcome!.params).toMatchObject({ judge_model: 'other-judge', json_mode: 'md_json' });
    });

    it('runs the rag_default suite (judge and embeddings) in one process', async () => {
      const data = (await readFile(samplePath, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { reference: string; retrieved_contexts: string[] });
      // context recall: share of reference sentences the fixture attributes (same rule as faithfulness' NLI)
      const recall = data.map((row) => impliedFaithfulness(row.reference, row.retrieved_contexts));
      const r = await run(task('rag_default', { dataset_path: 'sample.jsonl' }, inject('fixtureModelUrl')));
      expect(r.error).toBeUndefined();
      expect(Object.keys(r.outcome!.metrics).sort()).toEqual(
        ['answer_relevancy', 'context_precision', 'context_recall', 'faithfulness']
          .flatMap((m) => [m, `${m}_nan_count`])
          .sort(),
      );
      expect(r.outcome!.metrics.context_recall).toBeCloseTo(
        recall.reduce((a, b) => a + b, 0) / recall.length,
        12,
      );
      for (const m of ['answer_relevancy', 'context_precision']) {
        expect(r.outcome!.metrics[m]).toBeGreaterThanOrEqual(0);
        expect(r.outcome!.metrics[m]).toBeLessThanOrEqual(1);
      }
      expect(r.outcome!.params).toMatchObject({ embeddings_model: 'fixture-judge' });
      console.info(`rag_default (4 metrics x 12 rows, fixture judge): ${Math.round(r.ms)} ms`);
    });

    it('fails the benchmark with the reason when the judge errors', async () => {
      const r = await run(
        task(
          'faithfulness',
          { dataset_path: 'sample.jsonl', limit: 2 },
          `${inject('fixtureModelUrl')}/_/fail-500`,
        ),
      );
      expect(r.error).toBeInstanceOf(BenchmarkFailedError);
      expect((r.error as BenchmarkFailedError).code).toBe('ragas_judge_failed');
      expect((r.error as Error).message).toMatch(
        /faithfulness failed on every row; first error: .*(500|Internal)/i,
      );
    });

    it('kills the runner when the run is cancelled', async () => {
      const r = await run(
        task('faithfulness', { dataset_path: 'sample.jsonl' }, `${inject('fixtureModelUrl')}/_/hang`),
        { abortOnFirstProgress: true },
      );
      expect(r.error).toBeInstanceOf(BenchmarkFailedError);
      expect((r.error as BenchmarkFailedError).code).toBe('benchmark_aborted');
      expect(r.ms).toBeLessThan(60_000);
    });
  });

  describe('bad inputs are refused by validate() with a clear message', () => {
    let badRoot: string;
    let bad: RagasProvider;
    beforeAll(async () => {
      badRoot = join(scratch, 'bad-data');
      await import('node:fs/promises').then((fs) => fs.mkdir(badRoot, { recursive: true }));
      await writeFile(join(badRoot, 'empty.jsonl'), '');
      await writeFile(
        join(badRoot, 'no-context.jsonl'),
        JSON.stringify({ question: 'q', answer: 'a', ground_truth: 'r' }) + '\n',
      );
      await writeFile(
        join(badRoot, 'broken.jsonl'),
        `${JSON.stringify({ user_input: 'q', response: 'a' })}\n{oops\n`,
      );
      bad = new RagasProvider({ python, dataRoot: badRoot });
    });
    const check = async (benchmarkId: string, config: Record<string, unknown>) =>
      bad.validate(task(benchmarkId, config));

    it('missing column', async () => {
      expect(await check('faithfulness', { dataset_path: 'no-context.jsonl' })).toEqual([
        {
          pointer: '/dataset_path',
          message: expect.stringMatching(/lacks column 'retrieved_contexts' in every row/),
        },
      ]);
    });
    it('empty file', async () => {
      expect((await check('exact_match', { dataset_path: 'empty.jsonl' }))[0]!.message).toMatch(
        /'empty.jsonl' is empty/,
      );
    });
    it('malformed line', async () => {
      expect((await check('exact_match', { dataset_path: 'broken.jsonl' }))[0]!.message).toMatch(
        /line 2 is not valid JSON/,
      );
    });
    it('path traversal', async () => {
      expect((await check('exact_match', { dataset_path: '../../etc/passwd' }))[0]!.message).toMatch(
        /outside the data root/,
      );
    });
    it('unknown metric', async () => {
      expect((await check('faithfulnes', { dataset_path: 'empty.jsonl' }))[0]!.message).toMatch(
        /Unknown RAGAS benchmark 'faithfulnes'/,
      );
      expect((await check('rag_default', { dataset_path: 'empty.jsonl', metrics: ['nope'] }))[0]).toEqual({
        pointer: '/metrics/0',
        message: expect.stringMatching(/unknown metric 'nope'/),
      });
    });
    it('the bundled sample passes for every benchmark', async () => {
      for (const b of provider.describe().benchmarks)
        expect(await provider.validate(task(b.id, { dataset_path: 'sample.jsonl' })), b.id).toEqual([]);
    });
  });
});
