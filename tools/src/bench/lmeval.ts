/**
 * Benchmark (not a test): hub overhead of an lm-eval run.
 *
 * Runs the same arc_easy-format local-data task (200 questions by default) against the fixture model
 * server twice per round: once through the hub (createHub + the @evalhub/provider-lmeval plugin loaded
 * by package name, the jsonl tracker, the SQLite store) and once as the identical lm-eval command started
 * by hand. The hub's command is captured from the provider's debug log, so both runs execute the
 * same argv. Overhead = hub wall time − by-hand wall time (goal: < 1 s and < 5 %).
 *
 *   node --conditions=@evalhub/source --import tsx tools/src/bench/lmeval.ts [--questions 200] [--rounds 3] [--concurrency 4]
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createHub, createLogger, isPlugin, loadConfig } from '@evalhub/core';
import type { Plugin } from '@evalhub/core';
import { startFixtureModelServer } from '../fixture-model/server.js';
import { resolvePython } from '../mlflow/launcher.js';
import { arcSampleRows } from './arc-sample.js';

interface Captured {
  command: string;
  args: string[];
}

const { values } = parseArgs({
  options: {
    questions: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '4' },
  },
});
const questions = Number(values.questions);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);

/** An ARC-format file of `n` questions, cycling the project's test set with numbered ids. */
async function writeArcFile(path: string, n: number): Promise<void> {
  const source = await arcSampleRows();
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const row = source[i % source.length]!;
    lines.push(
      JSON.stringify({
        ...row,
        id: `bench-${i + 1}`,
        question: i < source.length ? row.question : `${row.question} (${Math.floor(i / source.length)})`,
      }),
    );
  }
  await writeFile(path, `${lines.join('\n')}\n`);
}

function runByHand(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd: string,
): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'ignore', 'ignore'] });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`lm-eval by hand exited with ${code}`));
      else resolve(performance.now() - started);
    });
  });
}

/**
 * The provider plugin, imported by package name (a runtime specifier keeps tools' build independent
 * of the provider's; run with `--conditions=@evalhub/source` to use its sources without a build).
 */
async function loadProvider(): Promise<{
  plugin: Plugin<unknown>;
  offlineEnv: Readonly<Record<string, string>>;
}> {
  const specifier = '@evalhub/provider-lmeval';
  const mod = (await import(specifier)) as {
    default?: unknown;
    OFFLINE_ENV?: Readonly<Record<string, string>>;
  };
  if (!isPlugin(mod.default) || !mod.OFFLINE_ENV) throw new Error(`${specifier} does not export a plugin`);
  return { plugin: mod.default, offlineEnv: mod.OFFLINE_ENV };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function main(): Promise<void> {
  const provider = await loadProvider();
  const python = await resolvePython();
  const fixture = await startFixtureModelServer({ port: 0 });
  const top = await mkdtemp(join(tmpdir(), 'evalhub-bench-lmeval-'));
  const dataRoot = join(top, 'data');
  await mkdir(dataRoot, { recursive: true });
  await writeArcFile(join(dataRoot, 'arc-bench.jsonl'), questions);

  // capture the provider's debug line with the lm-eval argv
  let captured: Captured | undefined;
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.includes('lm-eval command')) continue;
        const entry = JSON.parse(line) as Captured;
        captured = { command: entry.command, args: entry.args };
      }
      done();
    },
  });
  const hub = await createHub({
    config: loadConfig({
      cwd: top,
      env: {
        EVALHUB_TRACKER: 'jsonl',
        EVALHUB_DISCOVER_PLUGINS: 'false',
        EVALHUB_PYTHON: python,
        EVALHUB_DATA_ROOT: dataRoot,
        EVALHUB_DATA_DIR: join(top, 'state'),
        // The by-hand run repeats the hub's argv against the model server itself, so the hub runs
        // lm-eval without the model gateway (whose per-benchmark URL is gone once the benchmark ends)
        // and without its response cache (which would answer later rounds without the model).
        EVALHUB_GATEWAY: 'false',
        EVALHUB_CACHE: 'false',
      },
    }),
    plugins: [{ plugin: provider.plugin, options: { concurrency } }],
    logger: createLogger({ level: 'debug', destination: sink }),
  });

  const hubTimes: number[] = [];
  const handTimes: number[] = [];
  const lines: string[] = [];
  try {
    const hubRun = async (round: number): Promise<{ ms: number; acc: unknown }> => {
      const started = performance.now();
      const evaluation = await hub.evaluate({
        model: { server: 'vllm', name: 'fixture', url: fixture.baseUrl },
        benchmarks: [
          {
            benchmark_id: 'arc_easy',
            provider_id: 'lm_evaluation_harness',
            config: { num_fewshot: 0, dataset_path: 'arc-bench.jsonl' },
          },
        ],
        experiment: { name: 'bench-lmeval', tags: { round: String(round) } },
      });
      const ms = performance.now() - started;
      if (evaluation.status !== 'completed')
        throw new Error(`hub run ${evaluation.status}: ${JSON.stringify(evaluation.benchmarks[0])}`);
      return { ms, acc: evaluation.benchmarks[0]?.results?.metrics?.acc };
    };
    const handRun = async (round: number): Promise<number> => {
      if (!captured) throw new Error('the provider did not log its lm-eval command (debug level)');
      // same argv; only the output folder differs so the runs do not share files
      const args = [...captured.args];
      args[args.indexOf('--output_path') + 1] = join(top, `by-hand-${round}`);
      const include = args.indexOf('--include_path');
      const cwd = include >= 0 ? dirname(args[include + 1]!) : top;
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...provider.offlineEnv, // the environment the provider gives lm-eval
        OPENAI_API_KEY: '',
      };
      return runByHand(captured.command, args, env, cwd);
    };

    // warm-up (imports, dataset cache) and command capture; not counted
    await hubRun(-1);
    await handRun(-1);
    for (let round = 0; round < rounds; round++) {
      // alternate the order so neither side always runs on a warmer machine
      let hubResult: { ms: number; acc: unknown };
      let handMs: number;
      if (round % 2 === 0) {
        hubResult = await hubRun(round);
        handMs = await handRun(round);
      } else {
        handMs = await handRun(round);
        hubResult = await hubRun(round);
      }
      hubTimes.push(hubResult.ms);
      handTimes.push(handMs);
      lines.push(
        `round ${round + 1}: hub ${(hubResult.ms / 1000).toFixed(2)} s, by hand ${(handMs / 1000).toFixed(2)} s, acc ${String(hubResult.acc)}`,
      );
      process.stdout.write(`${lines.at(-1)}\n`);
    }
  } finally {
    await hub.close();
    await fixture.close();
    await rm(top, { recursive: true, force: true });
  }
  const hubMed = median(hubTimes);
  const handMed = median(handTimes);
  const overhead = hubMed - handMed;
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'lmeval-hub-overhead',
      questions,
      rounds,
      concurrency,
      hub_median_s: +(hubMed / 1000).toFixed(3),
      by_hand_median_s: +(handMed / 1000).toFixed(3),
      overhead_s: +(overhead / 1000).toFixed(3),
      overhead_pct: +((overhead / handMed) * 100).toFixed(2),
      goal: 'overhead < 1 s and < 5 %',
    })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
