import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  BenchmarkFailedError,
  LocalRuntime,
  createHub,
  createRunContext,
  loadConfig,
  silentLogger,
} from '@evalhub/core';
import type { BenchmarkTask, Hub, Progress, RunContext } from '@evalhub/core';
import { until, verifyProvider } from '@evalhub/core/testing';
import { resolvePython } from '@evalhub/tools';
import lmEvalPlugin, { LmEvalProvider, type LmEvalProviderInit } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const ARC_JSONL = join(here, 'data', 'arc-sample.jsonl');

let python: string;
let top: string;
let dataRoot: string;
let fixtureUrl: string;

beforeAll(async () => {
  python = await resolvePython();
  fixtureUrl = inject('fixtureModelUrl');
  top = realpathSync(await mkdtemp(join(tmpdir(), 'lmeval-int-')));
  dataRoot = join(top, 'data');
  await mkdir(dataRoot, { recursive: true });
  await copyFile(ARC_JSONL, join(dataRoot, 'arc-sample.jsonl'));
});
afterAll(async () => {
  if (top) await rm(top, { recursive: true, force: true });
});

function provider(options: LmEvalProviderInit = {}): LmEvalProvider {
  return new LmEvalProvider({ python, data_root: dataRoot, concurrency: 4, ...options });
}

function task(benchmarkId: string, config: Record<string, unknown>, url = `${fixtureUrl}/v1`): BenchmarkTask {
  return {
    evaluationId: 'ev-test',
    index: 0,
    benchmark: { benchmark_id: benchmarkId, provider_id: 'lm_evaluation_harness', config },
    model: { server: 'fixture', name: 'fixture', url, configuration: {} },
    timeoutMs: 600_000,
  };
}

interface Harness {
  ctx: RunContext;
  controller: AbortController;
  progress: Progress[];
  artifacts: Map<string, string>;
  workDir: string;
  artifactDir: string;
}

let runs = 0;
async function harness(signal?: AbortSignal): Promise<Harness> {
  const dir = join(top, `run-${++runs}`);
  const controller = new AbortController();
  const progress: Progress[] = [];
  const artifacts = new Map<string, string>();
  const ctx = await createRunContext({
    runtime: new LocalRuntime(),
    signal: signal ? AbortSignal.any([signal, controller.signal]) : controller.signal,
    workDir: join(dir, 'work'),
    artifactDir: join(dir, 'artifacts'),
    artifactPrefix: 'arc_easy',
    logFile: join(dir, 'benchmark.log'),
    logger: silentLogger(),
    onProgress: (p) => progress.push(p),
    onArtifact: (a) => artifacts.set(a.name, a.path),
  });
  return {
    ctx,
    controller,
    progress,
    artifacts,
    workDir: join(dir, 'work'),
    artifactDir: join(dir, 'artifacts'),
  };
}

/** Processes whose command line mentions `needle` (the run's private work folder). */
function processesMentioning(needle: string): { pid: number; pgid: number }[] {
  const found: { pid: number; pgid: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (!cmdline.includes(needle)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue; // already dead, waiting to be reaped
      found.push({ pid: Number(entry), pgid: Number(fields[2]) });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('LmEvalProvider with real lm-eval against the fixture model server', () => {
  it('runs arc_easy over local data and reports exactly what lm-eval wrote', async () => {
    const h = await harness();
    const outcome = await provider().run(
      task('arc_easy', { dataset_path: 'arc-sample.jsonl', num_fewshot: 0 }),
      h.ctx,
    );

    const resultsPath = h.artifacts.get('arc_easy/results.json');
    expect(resultsPath).toBeDefined();
    const results = JSON.parse(await readFile(resultsPath ?? '', 'utf8')) as {
      results: Record<string, Record<string, number>>;
      'n-samples': Record<string, { effective: number }>;
    };
    const block = results.results.evalhub_local_arc_easy;
    expect(block).toBeDefined();
    // to the last digit: the same float lm-eval serialised
    expect(outcome.metrics.acc).toBe(block?.['acc,none']);
    expect(outcome.metrics.acc_norm).toBe(block?.['acc_norm,none']);
    expect(outcome.metrics.acc_stderr).toBe(block?.['acc_stderr,none']);
    expect(outcome.primaryMetric).toBe('acc');
    expect(outcome.samples).toBe(26);
    expect(results['n-samples'].evalhub_local_arc_easy?.effective).toBe(26);
    expect(outcome.params).toMatchObject({
      task_version: 1,
      num_fewshot: 0,
      model_type: 'local-completions',
      dataset_path: 'arc-sample.jsonl',
    });

    // per-document samples and the process log are attached
    const samples = (await readFile(h.artifacts.get('arc_easy/samples.jsonl') ?? '', 'utf8'))
      .trim()
      .split('\n');
    expect(samples).toHaveLength(26);
    const meanAcc =
      samples.map((l) => (JSON.parse(l) as { acc: number }).acc).reduce((a, b) => a + b, 0) / samples.length;
    expect(meanAcc).toBe(outcome.metrics.acc);
    // the process log is the run's log file (core attaches it once, as execution.log), not a second copy
    expect(await readFile(h.ctx.logFile, 'utf8')).toContain('Requesting API');
    expect([...h.artifacts.keys()].filter((name) => name.endsWith('.log'))).toEqual([]);

    // progress came from lm-eval's own request bar and reached the end
    const requestEvents = h.progress.filter((p) => p.message === 'Requesting API');
    expect(requestEvents.length).toBeGreaterThan(0);
    expect(requestEvents.at(-1)).toMatchObject({ fraction: 1, completed: 104, total: 104 });
  });

  it('runs a custom task YAML from tasks_dir', async () => {
    const tasksDir = join(top, 'custom-tasks');
    await mkdir(tasksDir, { recursive: true });
    await writeFile(
      join(tasksDir, 'my_science.yaml'),
      [
        'task: my_science_quiz',
        'dataset_path: json',
        `dataset_kwargs: {data_files: {train: ${JSON.stringify(ARC_JSONL)}}}`,
        'test_split: train',
        'output_type: multiple_choice',
        'doc_to_text: "Q: {{question}}\\nA:"',
        'doc_to_target: "{{choices.label.index(answerKey)}}"',
        'doc_to_choice: "{{choices.text}}"',
        'metric_list: [{metric: acc, aggregation: mean, higher_is_better: true}]',
        'metadata: {version: 2.0}',
        '',
      ].join('\n'),
    );
    const p = provider({ tasks_dir: tasksDir });
    expect(p.describe().benchmarks.map((b) => b.id)).toContain('my_science_quiz');
    const h = await harness();
    const outcome = await p.run(task('my_science_quiz', { limit: 10 }), h.ctx);
    const results = JSON.parse(await readFile(h.artifacts.get('arc_easy/results.json') ?? '', 'utf8')) as {
      results: Record<string, Record<string, number>>;
    };
    expect(outcome.metrics.acc).toBe(results.results.my_science_quiz?.['acc,none']);
    expect(outcome.samples).toBe(10);
    expect(outcome.params).toMatchObject({ task_version: 2, limit: 10 });
  });

  it('runs a generation task on a chat-only server through local-chat-completions, with filters in metric names', async () => {
    await copyFile(join(here, 'data', 'gsm-sample.jsonl'), join(dataRoot, 'gsm-sample.jsonl'));
    const h = await harness();
    const t = task(
      'gsm8k',
      { dataset_path: 'gsm-sample.jsonl', num_fewshot: 0 },
      `${fixtureUrl}/_/chat-only/v1`,
    );
    t.model.configuration = { temperature: 0, max_tokens: 24 };
    const outcome = await provider().run(t, h.ctx);
    const results = JSON.parse(await readFile(h.artifacts.get('arc_easy/results.json') ?? '', 'utf8')) as {
      results: Record<string, Record<string, number>>;
      config: { model: string };
    };
    expect(results.config.model).toBe('local-chat-completions');
    const block = results.results.evalhub_local_gsm8k;
    expect(outcome.metrics['exact_match_strict-match']).toBe(block?.['exact_match,strict-match']);
    expect(outcome.metrics['exact_match_flexible-extract']).toBe(block?.['exact_match,flexible-extract']);
    expect(outcome.primaryMetric).toBe('exact_match_strict-match');
    expect(outcome.samples).toBe(6);
    expect(outcome.params).toMatchObject({
      model_type: 'local-chat-completions',
      num_fewshot: 0,
      task_version: 3,
    });
  });

  it('passes the model API key and the Hugging Face token through the environment only: not in argv, log or artifacts', async () => {
    const secret = 'sk-evalhub-test-5ecret-value';
    const hfToken = 'hf_evalhub_test_token_value';
    const tokenFile = join(top, 'hf-token');
    await writeFile(tokenFile, `${hfToken}\n`);
    const h = await harness();
    const t = { ...task('arc_easy', { dataset_path: 'arc-sample.jsonl', limit: 5 }), modelApiKey: secret };
    const seenArgv: string[] = [];
    const seenEnv: string[] = [];
    const watcher = setInterval(() => {
      for (const { pid } of processesMentioning(h.workDir)) {
        try {
          seenArgv.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
          seenEnv.push(...readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0'));
        } catch {
          // ended meanwhile
        }
      }
    }, 50);
    try {
      const outcome = await provider({ offline: true, hf_token_file: tokenFile }).run(t, h.ctx);
      expect(outcome.samples).toBe(5);
    } finally {
      clearInterval(watcher);
    }
    expect(seenArgv.length).toBeGreaterThan(0);
    expect(seenArgv.join('\n')).not.toContain(secret);
    expect(seenArgv.join('\n')).not.toContain(hfToken);
    expect(seenEnv).toContain(`OPENAI_API_KEY=${secret}`);
    expect(seenEnv).toContain(`HF_TOKEN=${hfToken}`);
    expect(seenEnv).toContain('HF_DATASETS_OFFLINE=1');
    for (const path of h.artifacts.values()) {
      const text = await readFile(path, 'utf8');
      expect(text).not.toContain(secret);
      expect(text).not.toContain(hfToken);
    }
    const log = await readFile(h.ctx.logFile, 'utf8');
    expect(log).not.toContain(secret);
    expect(log).not.toContain(hfToken);
  });

  it('a crashing lm-eval (server failing every request) fails the benchmark with the tail of its log', async () => {
    const h = await harness();
    const run = provider({ preflight: false, max_retries: 1 }).run(
      task('arc_easy', { dataset_path: 'arc-sample.jsonl', limit: 2 }, `${fixtureUrl}/_/fail-500/v1`),
      h.ctx,
    );
    await expect(run).rejects.toBeInstanceOf(BenchmarkFailedError);
    await expect(run).rejects.toMatchObject({
      code: 'lmeval_failed',
      message: expect.stringMatching(
        /exited with code [1-9]\d* without writing a results file: \w*Error: [^\n]*tokenizer_info[\s\S]*Last lines of the log:[\s\S]*Error/,
      ),
    });
    expect(processesMentioning(h.workDir)).toEqual([]);
  });

  it('the preflight waits out two 503s with Retry-After: 0, then the run goes ahead', async () => {
    const h = await harness();
    const outcome = await provider().run(
      task(
        'arc_easy',
        { dataset_path: 'arc-sample.jsonl', limit: 3 },
        `${fixtureUrl}/_/fail-503=2+key=preflight-retry/v1`,
      ),
      h.ctx,
    );
    expect(outcome.samples).toBe(3);
    expect(await readFile(h.ctx.logFile, 'utf8')).toMatch(/HTTP 503, trying again in 0 ms \(attempt 3\)/);
  });

  it('the preflight reports a server answering 500', async () => {
    const h = await harness();
    await expect(
      provider().run(
        task('arc_easy', { dataset_path: 'arc-sample.jsonl' }, `${fixtureUrl}/_/fail-500/v1`),
        h.ctx,
      ),
    ).rejects.toMatchObject({ code: 'model_unavailable', message: expect.stringMatching(/HTTP 500/) });
  });

  it('fires the chance-level canary against a server without prompt logprobs, before lm-eval starts', async () => {
    const h = await harness();
    const run = provider().run(
      task('arc_easy', { dataset_path: 'arc-sample.jsonl' }, `${fixtureUrl}/_/no-prompt-logprobs/v1`),
      h.ctx,
    );
    await expect(run).rejects.toBeInstanceOf(BenchmarkFailedError);
    await expect(run).rejects.toMatchObject({
      code: 'model_no_prompt_logprobs',
      message: expect.stringMatching(/chance/),
    });
    expect(existsSync(join(h.workDir, 'out'))).toBe(false);
  });

  it('refuses a loglikelihood task on a chat-only server', async () => {
    const h = await harness();
    await expect(
      provider().run(
        task('arc_easy', { dataset_path: 'arc-sample.jsonl' }, `${fixtureUrl}/_/chat-only/v1`),
        h.ctx,
      ),
    ).rejects.toMatchObject({ code: 'model_chat_only', message: expect.stringMatching(/chat-only/) });
  });

  it('reports an unreachable model server', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    });
    const h = await harness();
    await expect(
      provider({ preflight_retry_seconds: 1 }).run(
        task('arc_easy', { dataset_path: 'arc-sample.jsonl' }, `http://127.0.0.1:${port}/v1`),
        h.ctx,
      ),
    ).rejects.toMatchObject({
      code: 'model_unreachable',
      message: expect.stringMatching(/unreachable.*ECONNREFUSED/),
    });
  });

  it('cancel mid-run kills lm-eval and leaves no process behind', async () => {
    const h = await harness();
    const run = provider({ concurrency: 1 }).run(
      task('arc_easy', { dataset_path: 'arc-sample.jsonl' }, `${fixtureUrl}/_/latency=40/v1`),
      h.ctx,
    );
    run.catch(() => undefined);
    // wait until lm-eval is sending requests (its own progress bar), then cancel
    await until('lm-eval requests', () =>
      h.progress.some((p) => p.message === 'Requesting API' && (p.completed ?? 0) > 0),
    );
    const running = processesMentioning(h.workDir);
    expect(running.length).toBeGreaterThan(0);
    h.controller.abort(new Error('cancelled by the test'));
    await expect(run).rejects.toMatchObject({
      code: 'benchmark_aborted',
      message: expect.stringMatching(/cancelled by the test/),
    });
    expect(processesMentioning(h.workDir)).toEqual([]);
    for (const { pgid } of running) expect(groupAlive(pgid)).toBe(false);
    expect(await readdir(join(h.workDir, 'out')).then((d) => d.length)).toBe(0);
  });

  it('a timeout during the run (hanging server) kills the process group', async () => {
    // 90 s: on a loaded machine lm-eval's own start-up (imports, task loading) can take over 30 s,
    // and the timeout must fire while lm-eval waits on the server, not before it has started.
    const h = await harness(AbortSignal.timeout(90_000));
    const started = Date.now();
    const run = provider({ preflight: false }).run(
      task('arc_easy', { dataset_path: 'arc-sample.jsonl' }, `${fixtureUrl}/_/hang/v1`),
      h.ctx,
    );
    run.catch(() => undefined);
    await until('lm-eval to start', () => processesMentioning(h.workDir).length > 0);
    const running = processesMentioning(h.workDir);
    await expect(run).rejects.toMatchObject({
      code: 'benchmark_aborted',
      message: expect.stringMatching(/timeout|timed out|aborted/i),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(89_000);
    expect(processesMentioning(h.workDir)).toEqual([]);
    for (const { pgid } of running) expect(groupAlive(pgid)).toBe(false);
  });

  it('a timeout while checking a hanging server fails with a clear reason', async () => {
    const h = await harness(AbortSignal.timeout(2_000));
    await expect(
      provider().run(
        task('arc_easy', { dataset_path: 'arc-sample.jsonl' }, `${fixtureUrl}/_/hang/v1`),
        h.ctx,
      ),
    ).rejects.toMatchObject({
      code: 'benchmark_aborted',
      message: expect.stringMatching(/checking the model server/),
    });
  });

  it('rejects a dataset path outside the data root and an unknown task at validation', async () => {
    const p = provider();
    await writeFile(join(top, 'outside.jsonl'), readFileSync(ARC_JSONL));
    expect(p.validate(task('arc_easy', { dataset_path: '../outside.jsonl' }))).toEqual([
      { pointer: '/dataset_path', message: expect.stringMatching(/outside the data root/) },
    ]);
    expect(p.validate(task('arc_easy', { dataset_path: join(top, 'outside.jsonl') }))).toHaveLength(1);
    expect(p.validate(task('arc_easy', { dataset_path: 'nope.jsonl' }))).toEqual([
      { pointer: '/dataset_path', message: expect.stringMatching(/does not exist/) },
    ]);
    expect(p.validate(task('arc_eazy', {}))).toEqual([
      { pointer: '', message: expect.stringMatching(/Unknown lm-eval task 'arc_eazy'.*'arc_easy'/) },
    ]);
    expect(p.validate(task('arc_easy', { dataset_path: 'arc-sample.jsonl', num_fewshot: 0 }))).toEqual([]);
    // run re-checks, so a task that skipped validation still fails cleanly before anything starts
    const h = await harness();
    await expect(p.run(task('arc_easy', { dataset_path: '../outside.jsonl' }), h.ctx)).rejects.toMatchObject({
      code: 'benchmark_invalid',
    });
  });
});

/** Writes ROWS under `cacheDir` the way `datasets` caches a downloaded hub dataset (see the helper). */
function makeHubCache(cacheDir: string, repo: string, config: string, rows: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      python,
      [join(here, 'support', 'make-hf-cache.py'), cacheDir, repo, config, rows],
      { env: { PATH: process.env.PATH ?? '', HOME: top, HF_HUB_OFFLINE: '1', HF_DATASETS_OFFLINE: '1' } },
      (err, _stdout, stderr) => (err ? reject(new Error(`make-hf-cache.py: ${stderr}`)) : resolve()),
    );
  });
}

describe('hub datasets from a pre-populated Hugging Face cache (offline)', () => {
  let hfHome: string;
  beforeAll(async () => {
    hfHome = join(top, 'hf-home');
    await makeHubCache(join(hfHome, 'datasets'), 'allenai/ai2_arc', 'ARC-Easy', ARC_JSONL);
  });

  it("runs the catalog's arc_easy (allenai/ai2_arc) from the cache and reports lm-eval's own score", async () => {
    const h = await harness();
    const outcome = await provider({ offline: true, hf_home: hfHome }).run(
      task('arc_easy', { num_fewshot: 0, limit: 10 }),
      h.ctx,
    );
    const results = JSON.parse(await readFile(h.artifacts.get('arc_easy/results.json') ?? '', 'utf8')) as {
      results: Record<string, Record<string, number>>;
      configs: Record<string, { dataset_path: string; dataset_name: string }>;
    };
    // lm-eval ran its own task definition over the hub dataset id, served from the cache
    expect(results.configs.arc_easy).toMatchObject({
      dataset_path: 'allenai/ai2_arc',
      dataset_name: 'ARC-Easy',
    });
    expect(outcome.metrics.acc).toBe(results.results.arc_easy?.['acc,none']);
    expect(outcome.metrics.acc_norm).toBe(results.results.arc_easy?.['acc_norm,none']);
    expect(outcome.samples).toBe(10);
    const log = await readFile(h.ctx.logFile, 'utf8');
    expect(log).toContain(`Hugging Face datasets: offline (cache only), cache ${join(hfHome, 'datasets')}`);
  });

  it('pins the dataset revision a request names (lm-eval task with dataset_kwargs.revision)', async () => {
    const h = await harness();
    const outcome = await provider({ offline: true, hf_home: hfHome }).run(
      task('arc_easy', { limit: 4, dataset_revision: 'main' }),
      h.ctx,
    );
    const results = JSON.parse(await readFile(h.artifacts.get('arc_easy/results.json') ?? '', 'utf8')) as {
      results: Record<string, Record<string, number>>;
      configs: Record<string, { dataset_path: string; dataset_kwargs?: { revision?: string } }>;
    };
    expect(results.configs.evalhub_rev_arc_easy).toMatchObject({
      dataset_path: 'allenai/ai2_arc',
      dataset_kwargs: { revision: 'main' },
    });
    expect(outcome.metrics.acc).toBe(results.results.evalhub_rev_arc_easy?.['acc,none']);
    expect(outcome.params).toMatchObject({ dataset_revision: 'main' });
  });

  it('a dataset that is not in the cache fails naming the dataset, where it looked and the ways out', async () => {
    const h = await harness();
    const run = provider({ offline: true, hf_home: hfHome }).run(task('arc_challenge', { limit: 2 }), h.ctx);
    await expect(run).rejects.toMatchObject({
      code: 'dataset_unavailable',
      message: expect.stringContaining("task 'arc_challenge' (allenai/ai2_arc, config ARC-Challenge)"),
    });
    const message = await run.catch((err: Error) => err.message);
    expect(message).toContain(`datasets cache ${join(hfHome, 'datasets')} only (offline`);
    expect(message).toContain('offline: false');
    expect(message).toContain('evalhub datasets pull arc_challenge');
    expect(message).toContain('dataset_path');
  });
});

/**
 * A hub over the folder `name` in the test's temporary folder (its state in `state`) with the lm-eval
 * plugin (with `options` when given) and no other, the given tracker, this Python and data root.
 */
async function lmEvalHub(
  name: string,
  tracker: 'jsonl' | 'none',
  options?: Record<string, unknown>,
): Promise<{ hub: Hub; dir: string }> {
  const dir = join(top, name);
  await mkdir(dir, { recursive: true });
  const hub = await createHub({
    config: loadConfig({
      cwd: dir,
      env: {
        EVALHUB_TRACKER: tracker,
        EVALHUB_DISCOVER_PLUGINS: 'false',
        EVALHUB_PYTHON: python,
        EVALHUB_DATA_ROOT: dataRoot,
        EVALHUB_DATA_DIR: join(dir, 'state'),
      },
    }),
    plugins: [{ plugin: lmEvalPlugin as never, ...(options ? { options } : {}) }],
    logger: silentLogger(),
  });
  return { hub, dir };
}

describe('through core (createHub with the plugin, jsonl tracker)', () => {
  it("runs the spec's single-benchmark payload on local data to a completed evaluation with arc_easy.acc tracked", async () => {
    const { hub, dir } = await lmEvalHub('hub', 'jsonl', { concurrency: 4 });
    let acc: number | undefined;
    try {
      const evaluation = await hub.evaluate({
        model: {
          server: 'vllm',
          name: 'fixture',
          url: `${fixtureUrl}/v1`,
          configuration: { temperature: 0.1, max_tokens: 512 },
        },
        benchmarks: [
          {
            benchmark_id: 'arc_easy',
            provider_id: 'lm_evaluation_harness',
            config: { num_fewshot: 0, dataset_path: 'arc-sample.jsonl' },
          },
        ],
        experiment: {
          name: 'arc-easy-evaluation',
          tags: { environment: 'testing', model_family: 'llama-3.1' },
        },
      });
      expect(evaluation.status).toBe('completed');
      const bench = evaluation.benchmarks[0];
      const value = bench?.results?.metrics?.acc;
      expect(typeof value).toBe('number');
      acc = value as number;
    } finally {
      await hub.close();
    }
    // the tracker got `{benchmark_id}.{metric}` (flushed by close at the latest)
    const tracked = await readTrackingLines(dir);
    const events = tracked
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .map((l) => JSON.parse(l) as { event?: string; metrics?: Record<string, number>; name?: string });
    const trackedAcc = events.map((e) => e.metrics?.['arc_easy.acc']).find((v) => v !== undefined);
    expect(trackedAcc).toBe(acc);
    expect(events.some((e) => e.event === 'artifact' && e.name === 'arc_easy/results.json')).toBe(true);
    // the lm-eval log reaches the tracker once
    const logArtifacts = events.filter((e) => e.event === 'artifact' && e.name?.endsWith('.log'));
    expect(logArtifacts.map((e) => e.name)).toEqual(['arc_easy/execution.log']);
  });
});

async function readTrackingLines(stateDir: string): Promise<string> {
  const files = await readdir(stateDir, { recursive: true });
  const tracking = files.filter((f) => String(f).endsWith('.jsonl') && String(f).includes('tracking'));
  const texts = await Promise.all(tracking.map((f) => readFile(join(stateDir, String(f)), 'utf8')));
  return texts.join('\n');
}

describe('through core: request validation', () => {
  it('rejects a dataset path outside the data root and an unknown task with a 400 and JSON pointers', async () => {
    const { hub } = await lmEvalHub('hub-validation', 'none');
    try {
      const model = { server: 'vllm', name: 'fixture', url: `${fixtureUrl}/v1` };
      const arcEasy = (config: Record<string, unknown>) =>
        hub.evaluate({
          model,
          benchmarks: [{ benchmark_id: 'arc_easy', provider_id: 'lm_evaluation_harness', config }],
        });
      await expect(arcEasy({ dataset_path: '../../etc/passwd' })).rejects.toMatchObject({
        status: 400,
        details: [
          {
            pointer: '/benchmarks/0/config/dataset_path',
            message: expect.stringMatching(/outside the data root/),
          },
        ],
      });
      await expect(
        hub.evaluate({
          model,
          benchmarks: [{ benchmark_id: 'arc_eazy', provider_id: 'lm_evaluation_harness' }],
        }),
      ).rejects.toMatchObject({
        status: 400,
        details: [{ pointer: '/benchmarks/0/benchmark_id', message: expect.stringMatching(/arc_easy/) }],
      });
      // settings out of the published schema's bounds are refused at submission, each field named
      await expect(
        arcEasy({ num_fewshot: 1e9, batch_size: 1e6, system_instruction: 'x'.repeat(200_000) }),
      ).rejects.toMatchObject({
        status: 400,
        details: expect.arrayContaining([
          { pointer: '/benchmarks/0/config/num_fewshot', message: 'Must be <= 100.' },
          { pointer: '/benchmarks/0/config/batch_size', message: 'Must be <= 1024.' },
          {
            pointer: '/benchmarks/0/config/system_instruction',
            message: 'Must be at most 16384 characters.',
          },
        ]),
      });
    } finally {
      await hub.close();
    }
  });
});

describe('conformance', () => {
  it("passes core's provider conformance kit with a real lm-eval run", async () => {
    const checks = await verifyProvider(provider(), {
      run: {
        benchmark_id: 'arc_easy',
        config: { dataset_path: 'arc-sample.jsonl', limit: 5 },
        model: { server: 'fixture', name: 'fixture', url: `${fixtureUrl}/v1`, configuration: {} },
      },
    });
    expect(checks.filter((c) => !c.ok)).toEqual([]);
  });
});
