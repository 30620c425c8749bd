/**
 * Benchmark (not a test): model throughput of an lm-eval run, with and without the model gateway.
 *
 * A 1,000-question arc_easy-format local task (4 choices: 4,000 loglikelihood requests) against the
 * fixture model server with its capacity model (`capacity=64,latency=200`: a vLLM serving 64
 * sequences at 200 ms each; floor ceil(4000 / 64) × 0.2 s = 12.6 s). Runs, in one go:
 *   1. lm-eval by hand with its defaults (num_concurrent=1)
 *   2. lm-eval with num_concurrent=4 (the hub's setting before the gateway)
 *   3. lm-eval through the gateway with num_concurrent=256 (the gateway is the limit), cache on
 *   4. the same again: the cached re-run
 * and reports each run's request phase (first model request → last answer, from the fixture's
 * capacity counters; for gateway runs from the gateway's perf data) against the floor. Then the
 * gateway's own added latency: an open loop at 2,000 requests/s of tiny completions through the
 * gateway, p99 of (gateway time − upstream time) as the gateway measures it, and p99 via the gateway
 * minus p99 direct at the same rate.
 *
 *   npx tsx tools/src/bench/throughput.ts [--questions 1000] [--capacity 64] [--latency 200]
 *     [--skip-defaults] [--rate 2000] [--seconds 5]
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { ModelGateway } from '@evalhub/core';
import type { PerfStats } from '@evalhub/core';
import { repoRoot, resolvePython } from '../mlflow/launcher.js';
import { arcSampleRows } from './arc-sample.js';

const { values } = parseArgs({
  options: {
    questions: { type: 'string', default: '1000' },
    capacity: { type: 'string', default: '64' },
    latency: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '256' },
    'skip-defaults': { type: 'boolean', default: false },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '5' },
  },
});
const questions = Number(values.questions);
const capacity = Number(values.capacity);
const latencyMs = Number(values.latency);
const requests = questions * 4;
const floorS = (Math.ceil(requests / capacity) * latencyMs) / 1000;

const out = (line: string): void => void process.stdout.write(`${line}\n`);

/** The fixture model server in its own process (so its CPU is not the gateway's). */
async function startFixture(): Promise<{ url: string; stop: () => void }> {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const main = join(
    repoRoot,
    'tools',
    fromSource ? 'src' : 'dist',
    'fixture-model',
    fromSource ? 'main.ts' : 'main.js',
  );
  const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), main, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
    createInterface({ input: child.stdout }).once('line', resolve);
  });
  return { url: (JSON.parse(line) as { url: string }).url, stop: () => child.kill('SIGTERM') };
}

async function writeTask(dir: string): Promise<void> {
  const source = await arcSampleRows();
  const lines: string[] = [];
  for (let i = 0; i < questions; i++) {
    const row = source[i % source.length]!;
    lines.push(JSON.stringify({ ...row, id: `tp-${i + 1}`, question: `${row.question} (${i + 1})` }));
  }
  const data = join(dir, 'arc-throughput.jsonl');
  await writeFile(data, `${lines.join('\n')}\n`);
  await writeFile(
    join(dir, 'throughput_arc.yaml'),
    [
      'task: throughput_arc',
      'dataset_path: json',
      `dataset_kwargs: {data_files: ${JSON.stringify(data)}}`,
      'output_type: multiple_choice',
      'test_split: train',
      'doc_to_text: "Question: {{question}}\\nAnswer:"',
      'doc_to_target: "{{choices.label.index(answerKey)}}"',
      'doc_to_choice: "{{choices.text}}"',
      'metric_list:',
      '  - {metric: acc, aggregation: mean, higher_is_better: true}',
      'metadata: {version: 1.0}',
      '',
    ].join('\n'),
  );
}

/** Runs lm-eval against `baseUrl` (OpenAI base, ending in /v1); returns wall seconds and acc. */
async function lmEval(
  python: string,
  dir: string,
  baseUrl: string,
  name: string,
  concurrency: number | undefined,
): Promise<{ wallS: number; acc: number }> {
  const modelArgs = [`model=fixture`, `base_url=${baseUrl}/completions`, 'tokenizer_backend=remote'];
  if (concurrency !== undefined) modelArgs.push(`num_concurrent=${concurrency}`, 'max_retries=3');
  const output = join(dir, `out-${name}`);
  const args = ['-m', 'lm_eval', 'run', '--model', 'local-completions', '--model_args', modelArgs.join(',')];
  args.push('--tasks', 'throughput_arc', '--include_path', dir, '--batch_size', '1', '--output_path', output);
  const started = performance.now();
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    HF_HUB_OFFLINE: '1',
    HF_DATASETS_OFFLINE: '1',
    TRANSFORMERS_OFFLINE: '1',
    HF_HUB_DISABLE_TELEMETRY: '1',
    OPENAI_API_KEY: '',
    HF_DATASETS_CACHE: join(dir, 'hf-datasets'),
  };
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(python, args, { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.on('data', (c: Buffer) => (tail = (tail + c.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('close', (c) => {
      if (c !== 0) process.stderr.write(tail);
      resolve(c);
    });
  });
  const wallS = (performance.now() - started) / 1000;
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(output, { recursive: true })).filter((f) => /results_.*\.json$/.test(f));
  if (files.length === 0) throw new Error(`lm-eval ${name} wrote no results (exit ${code})`);
  const results = JSON.parse(await readFile(join(output, files[0]!), 'utf8')) as {
    results: Record<string, Record<string, number>>;
  };
  return { wallS, acc: results.results['throughput_arc']!['acc,none']! };
}

async function pool(
  fixture: string,
  key: string,
): Promise<{ served: number; phaseS: number; peakRunning: number }> {
  const all = (await (await fetch(`${fixture}/_fixture/capacity`)).json()) as Record<
    string,
    { served: number; firstStartMs: number; lastEndMs: number; peakRunning: number }
  >;
  const p = all[key];
  if (!p) return { served: 0, phaseS: 0, peakRunning: 0 };
  return { served: p.served, phaseS: (p.lastEndMs - p.firstStartMs) / 1000, peakRunning: p.peakRunning };
}

/** Open loop: `rate` tiny completions per second for `seconds` to `url`; latencies in ms. */
async function openLoop(url: string, rate: number, seconds: number): Promise<number[]> {
  const u = new URL(url);
  const client = new Pool(u.origin, { connections: 256 });
  const body = JSON.stringify({ model: 'fixture', prompt: 'a', max_tokens: 1, temperature: 0 });
  const total = rate * seconds;
  const latencies: number[] = [];
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      client
        .request({
          path: `${u.pathname}/completions`,
          method: 'POST',
          body,
          headers: { 'content-type': 'application/json' },
        })
        .then(async (res) => {
          await res.body.arrayBuffer();
          latencies.push(performance.now() - due); // from when it was due: no coordinated omission
        }),
    );
  }
  await Promise.all(pending);
  await client.close();
  return latencies.sort((a, b) => a - b);
}

const p99 = (sorted: number[]): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] ?? 0;
const fmt = (n: number, d = 2): string => n.toFixed(d);

async function main(): Promise<void> {
  const python = await resolvePython();
  const top = await mkdtemp(join(tmpdir(), 'evalhub-bench-throughput-'));
  await mkdir(top, { recursive: true });
  await writeTask(top);
  const fixture = await startFixture();
  const gateway = new ModelGateway({ cache: { file: join(top, 'state', 'gateway-cache.db') } });
  const switches = (key: string): string =>
    `${fixture.url}/_/capacity=${capacity}+latency=${latencyMs}+key=${key}/v1`;
  const summary: Record<string, unknown> = { requests, capacity, latency_ms: latencyMs, floor_s: floorS };
  out(`floor: ceil(${requests}/${capacity}) × ${latencyMs / 1000} s = ${fmt(floorS)} s`);
  try {
    const direct = async (name: string, concurrency: number | undefined): Promise<void> => {
      const r = await lmEval(python, top, switches(name), name, concurrency);
      const p = await pool(fixture.url, name);
      summary[name] = {
        request_phase_s: +fmt(p.phaseS),
        x_floor: +fmt(p.phaseS / floorS),
        wall_s: +fmt(r.wallS),
        served: p.served,
        peak_running: p.peakRunning,
        acc: r.acc,
      };
      out(
        `${name}: request phase ${fmt(p.phaseS)} s (${fmt(p.phaseS / floorS)} × floor), lm-eval wall ${fmt(r.wallS)} s, ${p.served} requests, peak ${p.peakRunning} in service, acc ${r.acc}`,
      );
    };
    if (!values['skip-defaults']) await direct('lmeval-defaults', undefined);
    await direct('lmeval-concurrency-4', 4);

    const viaGateway = async (name: string, evaluationId: string): Promise<PerfStats> => {
      const route = await gateway.route({
        evaluationId,
        benchmarkId: 'throughput_arc',
        model: { server: 'fixture', url: switches('gateway') },
        cache: true,
      });
      const r = await lmEval(python, top, route.baseUrl, name, Number(values.concurrency));
      const s = route.release();
      const p = await pool(fixture.url, 'gateway');
      summary[name] = {
        request_phase_s: s.durationSeconds,
        x_floor: +fmt(s.durationSeconds / floorS),
        wall_s: +fmt(r.wallS),
        served_total: p.served,
        acc: r.acc,
        perf: s,
      };
      out(
        `${name}: request phase ${fmt(s.durationSeconds)} s (${fmt(s.durationSeconds / floorS)} × floor), lm-eval wall ${fmt(r.wallS)} s, ${s.requests} requests, ${s.cacheHits} cache hits, peak ${s.peakConcurrency} in flight, p50/p99 ${s.latencyP50Ms}/${s.latencyP99Ms} ms, ${s.requestsPerSecond} req/s, acc ${r.acc}; server has served ${p.served}`,
      );
      return s;
    };
    const first = await viaGateway('gateway', 'bench-1');
    const limit = gateway.limiterState(switches('gateway'));
    out(
      `gateway limit after the run: ${limit?.limit} (baseline ${fmt(limit?.baselineMs ?? 0)} ms, ${limit?.overloads} overloads)`,
    );
    const cached = await viaGateway('gateway-cached', 'bench-2');
    summary['cached_vs_first'] = +fmt(cached.durationSeconds / first.durationSeconds, 3);
    out(
      `cached re-run: ${fmt((cached.durationSeconds / first.durationSeconds) * 100, 1)} % of the first run's request phase`,
    );

    // the gateway's own latency at a fixed rate
    const rate = Number(values.rate);
    const seconds = Number(values.seconds);
    const plain = `${fixture.url}/v1`;
    const directLat = await openLoop(plain, rate, seconds);
    const route = await gateway.route({
      evaluationId: 'overhead',
      benchmarkId: 'tiny',
      model: { server: 'fixture', url: plain },
    });
    const viaLat = await openLoop(route.baseUrl, rate, seconds);
    const s = route.release();
    summary['overhead'] = {
      rate,
      seconds,
      direct_p99_ms: +fmt(p99(directLat)),
      via_gateway_p99_ms: +fmt(p99(viaLat)),
      added_p99_ms: +fmt(p99(viaLat) - p99(directLat)),
      gateway_own_p50_ms: s.overheadP50Ms,
      gateway_own_p99_ms: s.overheadP99Ms,
      achieved_rps: s.requestsPerSecond,
    };
    out(
      `overhead at ${rate}/s: direct p99 ${fmt(p99(directLat))} ms, via gateway p99 ${fmt(p99(viaLat))} ms (added ${fmt(p99(viaLat) - p99(directLat))} ms); gateway's own time p50 ${s.overheadP50Ms} ms, p99 ${s.overheadP99Ms} ms; ${s.requestsPerSecond} req/s through it`,
    );
  } finally {
    await gateway.close();
    fixture.stop();
    await rm(top, { recursive: true, force: true });
  }
  out(
    JSON.stringify({
      benchmark: 'throughput',
      ...summary,
      goals: 'gateway request phase ≤ 1.2 × floor; cached ≤ 10 % of first; added p99 < 2 ms at 2,000/s',
    }),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
