/**
 * An open-loop load generator in its own process (so its CPU is neither the gateway's nor the model
 * server's): `rate` tiny completions per second for `seconds` against an OpenAI base URL, each timed
 * from the moment it was due (no coordinated omission), after `warmup` seconds at the same rate whose
 * answers are not counted (the JIT of all three processes, connections, the gateway's limiter
 * finding its level from cold: a hub does that once per model server). Prints one JSON line: the
 * sorted latencies in ms and the rate reached.
 *
 *   npx tsx tools/src/bench/open-loop.ts <base-url> <rate> <seconds> [<warmup-seconds>]
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';

export interface OpenLoopResult {
  latenciesMs: number[];
  /** Requests answered per second of the run (sending + the tail). */
  achievedRps: number;
}

async function run(url: string, rate: number, seconds: number): Promise<OpenLoopResult> {
  const u = new URL(url);
  const client = new Pool(u.origin, { connections: 256, pipelining: 1 });
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
          latencies.push(performance.now() - due);
        }),
    );
  }
  await Promise.all(pending);
  const elapsedS = (performance.now() - started) / 1000;
  await client.close();
  return { latenciesMs: latencies.sort((a, b) => a - b), achievedRps: total / elapsedS };
}

/** Runs the generator as a child process and returns what it measured. */
export async function openLoop(
  url: string,
  rate: number,
  seconds: number,
  warmupSeconds = 3,
): Promise<OpenLoopResult> {
  const here = fileURLToPath(import.meta.url);
  const args = here.endsWith('.ts') ? ['--import', 'tsx', here] : [here];
  const child = spawn(
    process.execPath,
    [...args, url, String(rate), String(seconds), String(warmupSeconds)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`open-loop generator exited with ${code}`);
  return JSON.parse(out) as OpenLoopResult;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [url, rate, seconds, warmup = '0'] = process.argv.slice(2);
  if (!url || !rate || !seconds) {
    process.stderr.write('usage: open-loop.ts <base-url> <rate> <seconds> [<warmup-seconds>]\n');
    process.exit(2);
  }
  if (Number(warmup) > 0) await run(url, Number(rate), Number(warmup));
  const result = await run(url, Number(rate), Number(seconds));
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
