/**
 * Integration tests against a real OpenAI-compatible server implementation nobody here wrote:
 * llama-cpp-python's server (llama.cpp underneath), built from its source distribution by
 * tools/llamacpp/setup-venv.sh, serving a tiny randomly initialised llama model written at test time
 * with the `gguf` package. The model's answers are nonsense (random weights); everything else —
 * tokenizer, sampling, logprobs, chat template, embeddings, the HTTP API — is llama.cpp's.
 *
 * Started once for this file (the only one that uses it), on a free loopback port. Needs the
 * llama.cpp venv (.venv-llamacpp or EVALHUB_LLAMACPP_PYTHON): without it the file is skipped
 * with the command to run.
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext, LocalRuntime, silentLogger } from '@evalhub/core';
import type { BenchmarkTask, RunContext } from '@evalhub/core';
import { checkPromptLogprobs, LmEvalProvider, preflight } from '@evalhub/provider-lmeval';
import { RagasProvider } from '@evalhub/provider-ragas';
import { repoRoot, resolvePython } from '../src/index.js';
import {
  LLAMACPP_EMBEDDING_MODEL,
  LLAMACPP_MODEL,
  llamaCppPython,
  startLlamaCppServer,
  type LlamaCppServer,
} from '../src/llamacpp/server.js';

const venvPython = llamaCppPython();
if (!venvPython) {
  console.warn('llama.cpp tests skipped: run tools/llamacpp/setup-venv.sh to build llama-cpp-python (once).');
}

let server: LlamaCppServer;
let python: string;
let dir: string;
let runs = 0;

beforeAll(async () => {
  if (!venvPython) return;
  python = await resolvePython();
  dir = await mkdtemp(join(tmpdir(), 'evalhub-llamacpp-int-'));
  await copyFile(
    join(repoRoot, 'packages', 'provider-lmeval', 'test', 'data', 'gsm-sample.jsonl'),
    join(dir, 'gsm-sample.jsonl'),
  );
  await copyFile(
    join(repoRoot, 'packages', 'provider-ragas', 'data', 'sample.jsonl'),
    join(dir, 'rag.jsonl'),
  );
  server = await startLlamaCppServer({ python: venvPython });
}, 300_000);
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function task(
  provider: string,
  benchmarkId: string,
  config: Record<string, unknown>,
  model = LLAMACPP_MODEL,
): BenchmarkTask {
  return {
    evaluationId: 'llamacpp',
    index: 0,
    benchmark: { benchmark_id: benchmarkId, provider_id: provider, config },
    model: {
      server: 'llama.cpp',
      name: model,
      url: `${server.url}/v1`,
      configuration: { temperature: 0, max_tokens: 16 },
    },
    timeoutMs: 600_000,
  };
}

async function context(): Promise<{ ctx: RunContext; artifacts: Map<string, string> }> {
  const run = join(dir, `run-${++runs}`);
  const artifacts = new Map<string, string>();
  const ctx = await createRunContext({
    runtime: new LocalRuntime(),
    signal: AbortSignal.timeout(600_000),
    workDir: join(run, 'work'),
    artifactDir: join(run, 'artifacts'),
    artifactPrefix: 'b',
    logFile: join(run, 'run.log'),
    logger: silentLogger(),
    onArtifact: (a) => artifacts.set(a.name, a.path),
  });
  return { ctx, artifacts };
}

/** lm-eval's preflight of a loglikelihood (completions, no chat) benchmark against the server. */
const preflightLoglikelihood = (tokenizerBackend: 'remote' | 'none'): ReturnType<typeof preflight> =>
  preflight({
    baseUrl: `${server.url}/v1`,
    model: LLAMACPP_MODEL,
    needsLoglikelihood: true,
    chat: false,
    tokenizerBackend,
    signal: AbortSignal.timeout(60_000),
  });

describe.skipIf(!venvPython)('lm-eval against llama.cpp (llama-cpp-python server, tiny random GGUF)', () => {
  it('the preflight sees that the server has no remote tokenizer endpoints (/tokenize, /tokenizer_info)', async () => {
    await expect(preflightLoglikelihood('remote')).rejects.toMatchObject({ code: 'model_tokenizer_missing' });
  });

  it("the chance-level canary judges the server's real echo + logprobs answer: llama-cpp-python returns prompt logprobs, so it passes", async () => {
    // the probe lm-eval's loglikelihood requests look like, sent as the preflight sends it
    const res = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: LLAMACPP_MODEL,
        prompt: 'Question: Which gas do plants take in from the air?\nAnswer: carbon dioxide',
        max_tokens: 1,
        temperature: 0,
        echo: true,
        logprobs: 1,
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      choices: { logprobs: { token_logprobs: (number | null)[]; tokens: string[] } }[];
    };
    const { token_logprobs: values, tokens } = body.choices[0]!.logprobs;
    // one logprob per echoed prompt token (the first null) plus the generated one
    expect(values.length).toBe(tokens.length);
    expect(values[0]).toBeNull();
    expect(values.slice(1).every((v) => typeof v === 'number' && Number.isFinite(v))).toBe(true);
    expect(() => checkPromptLogprobs(body)).not.toThrow();
    await expect(preflightLoglikelihood('none')).resolves.toMatchObject({ modelType: 'local-completions' });
  });

  it('a chat gsm8k-style generate_until benchmark over a local file runs to a score', async () => {
    const provider = new LmEvalProvider({ python, data_root: dir, concurrency: 1, offline: true });
    const { ctx, artifacts } = await context();
    const outcome = await provider.run(
      task('lm_evaluation_harness', 'gsm8k', {
        dataset_path: 'gsm-sample.jsonl',
        chat: true,
        num_fewshot: 0,
      }),
      ctx,
    );
    const results = JSON.parse(await readFile(artifacts.get('b/results.json') ?? '', 'utf8')) as {
      results: Record<string, Record<string, number>>;
      config: { model: string };
    };
    expect(results.config.model).toBe('local-chat-completions');
    expect(outcome.metrics['exact_match_strict-match']).toBe(
      results.results.evalhub_local_gsm8k?.['exact_match,strict-match'],
    );
    expect(outcome.samples).toBe(6);
  });
});

describe.skipIf(!venvPython)('RAGAS against llama.cpp', () => {
  it("semantic_similarity scores with the server's /v1/embeddings", async () => {
    const provider = new RagasProvider({
      python,
      dataRoot: dir,
      embeddingsUrl: `${server.url}/v1`,
      embeddingsModel: LLAMACPP_EMBEDDING_MODEL,
      timeoutSeconds: 120,
    });
    const { ctx } = await context();
    const outcome = await provider.run(
      task('ragas', 'semantic_similarity', { dataset_path: 'rag.jsonl', limit: 3 }),
      ctx,
    );
    expect(outcome.metrics.semantic_similarity).toBeGreaterThanOrEqual(-1);
    expect(outcome.metrics.semantic_similarity).toBeLessThanOrEqual(1);
    expect(outcome.samples).toBe(3);
  });
});
