/**
 * Benchmark (not a test): model throughput of an lm-eval benchmark, by hand, through the hub as it
 * was before the model gateway, and through the hub with it.
 *
 * A 1,000-question arc_easy-format local task (4 choices: 4,000 loglikelihood requests) against the
 * fixture model server with its capacity model (`capacity=64,latency=200`: a vLLM serving 64
 * sequences at 200 ms each; floor ceil(4000 / 64) × 0.2 s = 12.6 s). Runs, in one go:
 *   1. lm-eval by hand with its defaults (num_concurrent=1, batch_size=1)
 *   2. the hub before the gateway: gateway off, the lm-eval provider at num_concurrent=4 (batch 1)
 *   3. the hub with its defaults: the gateway routes lm-eval (num_concurrent = the server's cap,
 *      batch_size 16 once the preflight saw the server batch prompts), response cache on
 *   4. the same request again: the cached re-run
 * The hub is the real one (createHub with the lm-eval plugin, the task from the provider's
 * `tasks_dir`), in this process. A run's request phase is its first model request → last answer:
 * from the fixture's capacity counters for runs 1–3 (the preflight's probes are marked and counted
 * apart), from the gateway's perf data for the cached run (the server sees no request). Then the
 * gateway's own added latency: an open loop (its own process, open-loop.ts) at 2,000 requests/s of
 * tiny completions, direct and through the gateway, p99 of (gateway time − upstream time) as the
 * gateway measures it, and p99 via the gateway minus p99 direct at the same rate.
 *
 *   npx tsx --conditions=@evalhub/source tools/src/bench/throughput.ts [--questions 1000]
 *     [--capacity 64] [--latency 200] [--skip-defaults] [--overhead-only] [--rate 2000] [--seconds 5]
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createHub, loadConfig, ModelGateway, silentLogger, type Evaluation, type Hub } from '@evalhub/core';
import lmEvalPlugin from '@evalhub/provider-lmeval';
import { repoRoot, resolvePython } from '../mlflow/launcher.js';
import { arcSampleRows } from './arc-sample.js';
import { openLoop } from './open-loop.js';

const { values } = parseArgs({
  options: {
    questions: { type: 'string', default: '1000' },
    capacity: { type: 'string', default: '64' },
    latency: { type: 'string', default: '200' },
    'skip-defaults': { type: 'boolean', default: false },
    'overhead-only': { type: 'boolean', default: false },
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
): Promise<{ served: number; requests: number; phaseS: number; peakRunning: number }> {
  const all = (await (await fetch(`${fixture}/_fixture/capacity`)).json()) as Record<
    string,
    { served: number; requests: number; firstStartMs: number; lastEndMs: number; peakRunning: number }
  >;
  const p = all[key];
  if (!p) return { served: 0, requests: 0, phaseS: 0, peakRunning: 0 };
  return {
    served: p.served,
    requests: p.requests,
    phaseS: (p.lastEndMs - p.firstStartMs) / 1000,
    peakRunning: p.peakRunning,
  };
}

const p99 = (sorted: number[]): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)] ?? 0;
const fmt = (n: number, d = 2): string => n.toFixed(d);

/** A hub with the lm-eval plugin and the fixture as model server `fixture`. */
async function startHub(
  top: string,
  name: string,
  python: string,
  serverUrl: string,
  gateway: boolean,
  lmEvalOptions: Record<string, unknown>,
): Promise<Hub> {
  return createHub({
    config: loadConfig({
      cwd: top,
      env: {},
      overrides: {
        data_dir: join(top, `hub-${name}`),
        data_root: top,
        python,
        tracker: 'none',
        discover_plugins: false,
        gateway: { enabled: gateway },
        model_servers: { fixture: { url: serverUrl } },
      },
    }),
    plugins: [
      { plugin: lmEvalPlugin as never, options: { tasks_dir: top, offline: true, ...lmEvalOptions } },
    ],
    logger: silentLogger(),
  });
}

async function runOnHub(hub: Hub, cache: boolean): Promise<{ evaluation: Evaluation; wallS: number }> {
  const started = performance.now();
  const submitted = await hub.evaluate({
    model: { server: 'fixture', name: 'fixture' },
    benchmarks: [
      {
        benchmark_id: 'throughput_arc',
        provider_id: 'lm_evaluation_harness',
        config: cache ? { cache: true } : {},
      },
    ],
    experiment: { name: 'throughput' },
  });
  const evaluation = await hub.service.wait(submitted.id);
  const b = evaluation.benchmarks[0]!;
  if (b.status !== 'completed')
    throw new Error(`hub run ${submitted.id}: ${b.status} ${b.error?.message ?? ''}`);
  return { evaluation, wallS: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const python = await resolvePython();
  const top = await mkdtemp(join(tmpdir(), 'evalhub-bench-throughput-'));
  await mkdir(top, { recursive: true });
  await writeTask(top);
  const fixture = await startFixture();
  const gateway = new ModelGateway(); // the bare gateway of the overhead measurement
  const switches = (key: string): string =>
    `${fixture.url}/_/capacity=${capacity}+latency=${latencyMs}+key=${key}/v1`;
  const summary: Record<string, unknown> = { requests, capacity, latency_ms: latencyMs, floor_s: floorS };
  out(`floor: ceil(${requests}/${capacity}) × ${latencyMs / 1000} s = ${fmt(floorS)} s`);
  const hubs: Hub[] = [];
  try {
    if (!values['skip-defaults'] && !values['overhead-only']) {
      const name = 'lmeval-defaults';
      const r = await lmEval(python, top, switches(name), name, undefined);
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
        `${name}: request phase ${fmt(p.phaseS)} s (${fmt(p.phaseS / floorS)} × floor), lm-eval wall ${fmt(r.wallS)} s, ${p.served} sequences, peak ${p.peakRunning} in service, acc ${r.acc}`,
      );
    }

    const onHub = async (
      name: string,
      key: string,
      hub: Hub,
      cache: boolean,
    ): Promise<{ phaseS: number; perf: Record<string, number> | undefined }> => {
      const servedBefore = (await pool(fixture.url, key)).served;
      const { evaluation, wallS } = await runOnHub(hub, cache);
      const b = evaluation.benchmarks[0]!;
      const perf = b.perf as Record<string, number> | undefined;
      const p = await pool(fixture.url, key);
      // the server-side phase when the server saw the run, else (all cached) the gateway's
      const fresh = servedBefore === 0;
      const phaseS = fresh ? p.phaseS : (perf?.['duration_seconds'] ?? NaN);
      const acc = b.results?.metrics['acc'];
      summary[name] = {
        request_phase_s: +fmt(phaseS),
        x_floor: +fmt(phaseS / floorS),
        hub_wall_s: +fmt(wallS),
        server_sequences: p.served - servedBefore,
        peak_running: fresh ? p.peakRunning : 0,
        batch_size: b.results?.params?.['batch_size'],
        acc,
        cache: b.cache ?? null,
        ...(perf ? { perf } : {}),
      };
      out(
        `${name}: request phase ${fmt(phaseS)} s (${fmt(phaseS / floorS)} × floor), hub wall ${fmt(wallS)} s, server ${p.served - servedBefore} sequences, peak ${fresh ? p.peakRunning : 0} in service, batch_size ${String(b.results?.params?.['batch_size'])}, acc ${String(acc)}` +
          (perf
            ? `; gateway: ${perf['requests']} requests, ${perf['cache_hits']} cache hits, phase ${perf['duration_seconds']} s, peak ${perf['peak_concurrency']} in flight, p50/p99 ${perf['latency_p50_ms']}/${perf['latency_p99_ms']} ms`
            : ''),
      );
      return { phaseS, perf };
    };
    if (!values['overhead-only']) {
      // the pool key is the fixture URL's switch segment: one per hub
      const before = await startHub(top, 'before', python, switches('hub-before'), false, {
        concurrency: 4,
      });
      hubs.push(before);
      await onHub('hub-before', 'hub-before', before, false);
      const after = await startHub(top, 'gateway', python, switches('hub-gateway'), true, {});
      hubs.push(after);
      const first = await onHub('hub-gateway', 'hub-gateway', after, true);
      const limit = after.gateway.limiterState(switches('hub-gateway'));
      out(
        `gateway limit after the run: ${limit?.limit} sequences (baseline ${fmt(limit?.baselineMs ?? 0)} ms, ${limit?.overloads} overloads)`,
      );
      const cached = await onHub('hub-gateway-cached', 'hub-gateway', after, true);
      summary['cached_vs_first'] = +fmt(cached.phaseS / first.phaseS, 3);
      out(
        `cached re-run: ${fmt((cached.phaseS / first.phaseS) * 100, 1)} % of the first run's request phase`,
      );
    }

    // the gateway's own latency at a fixed rate
    const rate = Number(values.rate);
    const seconds = Number(values.seconds);
    const plain = `${fixture.url}/v1`;
    const direct = await openLoop(plain, rate, seconds);
    const directLat = direct.latenciesMs;
    const route = await gateway.route({
      evaluationId: 'overhead',
      benchmarkId: 'tiny',
      model: { server: 'fixture', url: plain },
    });
    const via = await openLoop(route.baseUrl, rate, seconds);
    const viaLat = via.latenciesMs;
    const s = route.release();
    summary['overhead'] = {
      rate,
      seconds,
      direct_p99_ms: +fmt(p99(directLat)),
      via_gateway_p99_ms: +fmt(p99(viaLat)),
      added_p99_ms: +fmt(p99(viaLat) - p99(directLat)),
      gateway_own_p50_ms: s.overheadP50Ms,
      gateway_own_p99_ms: s.overheadP99Ms,
      achieved_rps: { direct: +fmt(direct.achievedRps, 0), via_gateway: +fmt(via.achievedRps, 0) },
    };
    out(
      `overhead at ${rate}/s: direct p99 ${fmt(p99(directLat))} ms, via gateway p99 ${fmt(p99(viaLat))} ms (added ${fmt(p99(viaLat) - p99(directLat))} ms); gateway's own time p50 ${s.overheadP50Ms} ms, p99 ${s.overheadP99Ms} ms; the generator (its own process) reached ${fmt(direct.achievedRps, 0)}/s direct, ${fmt(via.achievedRps, 0)}/s via the gateway`,
    );
  } finally {
    await Promise.all(hubs.map((h) => h.close().catch(() => undefined)));
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
