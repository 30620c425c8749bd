#!/usr/bin/env node
/**
 * `evalhub`: run the hub (`serve`) and script against a running one (`run`, `list`, `get`, `cancel`,
 * `providers`, `benchmarks`). Exit codes: 0 success (for `run --wait`: the evaluation passed, or
 * completed when it has no pass criteria), 1 the evaluation did not pass, failed, partially failed
 * or was cancelled, 2 usage or HTTP errors (docs/gating.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createLogger, loadConfig, type Evaluation } from '@evalhub/core';
import { comparisonTable, describeEvaluation, progressBar, scoresTable, table } from './cli-format.js';
import { gateExitCode, junitReport, verdictLine } from './cli-gate.js';
import { MCP_USAGE, runMcpCommand } from './cli-mcp.js';
import { HubClient, HubError, type EvaluationListQuery } from './client/hub-client.js';

const USAGE = `Usage: evalhub <command> [options]

Commands:
  serve                      Start the hub (HTTP API on port 8000 by default)
      --config FILE          Config file (default: EVALHUB_CONFIG or ./evalhub.config.{json,yaml,yml})
      --port N               Port (default: config server.port, EVALHUB_PORT or 8000)
      --host HOST            Interface (default: config server.host, EVALHUB_HOST or 0.0.0.0)
  run REQUEST.json           Submit an evaluation request ('-' reads stdin)
      --wait                 Follow it live; exit 0 when it passed its pass criteria (without
                             criteria: completed), 1 otherwise
      --junit FILE           With --wait: write a JUnit XML report (one test case per benchmark)
  compare A B                Compare evaluation A with B (its baseline) metric by metric; exit 1
                             when A regressed significantly
      --tolerance X          Significance bound for metrics without a standard error (default 0.01)
      --idempotency-key KEY  Make retries safe (the same key returns the first evaluation)
                             (a full queue, 429, is retried as Retry-After says, for up to 10 minutes)
  list                       List evaluations, newest first
      --status S --experiment NAME --model NAME --provider ID --tag KEY:VALUE (repeatable)
      --limit N --cursor C
  get ID                     Show one evaluation and its scores
  cancel ID                  Cancel a pending or running evaluation
  providers                  Installed providers
  benchmarks                 Benchmarks of every provider
      --provider ID --category NAME
${MCP_USAGE}
  datasets pull TASK...      Fill the Hugging Face datasets cache for lm-eval tasks (evalhub datasets --help)

Options for the client commands:
  --url URL                  Hub address (default: EVALHUB_URL or http://localhost:8000)
  --api-key KEY              API key (default: EVALHUB_API_KEY)
  --json                     Machine-readable output
  -h, --help                 This help
`;

class UsageError extends Error {}

/**
 * POSTs the request; while the hub's queue is full (429) it waits as long as Retry-After says and
 * sends the same request (and Idempotency-Key) again, for up to QUEUE_FULL_PATIENCE_MS, so a CI job
 * that arrives at a busy hub queues up instead of failing.
 */
async function submitPatiently(
  client: HubClient,
  body: unknown,
  v: Values,
  o: Out,
): Promise<{ status: number; body: Evaluation }> {
  const giveUpAt = Date.now() + QUEUE_FULL_PATIENCE_MS;
  for (;;) {
    try {
      return await client.submit(body, {
        ...(v['idempotency-key'] ? { idempotencyKey: v['idempotency-key'] } : {}),
      });
    } catch (err) {
      if (!(err instanceof HubError) || err.status !== 429 || Date.now() >= giveUpAt) throw err;
      const seconds = Math.min(Math.max(err.retryAfterSeconds ?? 5, 1), 60);
      o.err(`The hub's queue is full; submitting again in ${seconds} s`);
      await new Promise((r) => setTimeout(r, seconds * 1000));
    }
  }
}

/** How long `evalhub run` keeps submitting again while the hub answers 429 (queue full). */
const QUEUE_FULL_PATIENCE_MS = 10 * 60_000;

interface Out {
  out(text: string): void;
  err(text: string): void;
}

const io: Out = {
  out: (t) => process.stdout.write(`${t}\n`),
  err: (t) => process.stderr.write(`${t}\n`),
};

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  url: { type: 'string' },
  'api-key': { type: 'string' },
  config: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  wait: { type: 'boolean' },
  junit: { type: 'string' },
  tolerance: { type: 'string' },
  'idempotency-key': { type: 'string' },
  status: { type: 'string' },
  experiment: { type: 'string' },
  model: { type: 'string' },
  provider: { type: 'string' },
  category: { type: 'string' },
  tag: { type: 'string', multiple: true },
  limit: { type: 'string' },
  cursor: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function listQuery(v: Values): EvaluationListQuery {
  const q: Record<string, string | string[]> = {};
  for (const k of ['status', 'experiment', 'model', 'provider', 'limit', 'cursor'] as const)
    if (v[k] !== undefined) q[k] = String(v[k]);
  if (v.tag?.length) q.tag = v.tag;
  // Values are checked by the hub (400 naming the parameter), not here.
  return q as unknown as EvaluationListQuery;
}

function readRequest(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`Cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

async function waitFor(client: HubClient, evaluation: Evaluation, v: Values, o: Out): Promise<Evaluation> {
  const human = !v.json;
  const lastShown = new Map<number, number>();
  let final: Evaluation | undefined;
  for await (const ev of client.events(evaluation.id)) {
    if (ev.type === 'result' && ev.evaluation) {
      final = ev.evaluation;
      break;
    }
    if (!human) continue;
    const name = ev.benchmark_id ?? '';
    if (ev.type === 'status') o.err(`evaluation ${ev.status}`);
    else if (ev.type === 'benchmark_status') o.err(`  ${name.padEnd(24)} ${ev.status}`);
    else if (ev.type === 'progress' && ev.progress && ev.benchmark_index !== undefined) {
      const shown = lastShown.get(ev.benchmark_index) ?? -1;
      // Every 10 % (and the end), so CI logs stay short.
      if (ev.progress.fraction >= 1 || ev.progress.fraction - shown >= 0.1) {
        lastShown.set(ev.benchmark_index, ev.progress.fraction);
        const counts = ev.progress.total ? ` ${ev.progress.completed ?? 0}/${ev.progress.total}` : '';
        o.err(
          `  ${name.padEnd(24)} ${progressBar(ev.progress.fraction)}${counts}${ev.progress.message ? ` ${ev.progress.message}` : ''}`,
        );
      }
    }
  }
  let e = final ?? (await client.get(evaluation.id));
  // The tracker records the run right after the result; give it a moment for the run link.
  for (let i = 0; i < 20 && e.tracking.state === 'pending'; i++) {
    await new Promise((r) => setTimeout(r, 250));
    e = await client.get(evaluation.id);
  }
  return e;
}

function printFinal(e: Evaluation, v: Values, o: Out): void {
  if (v.json) {
    o.out(JSON.stringify(e, null, 2));
    return;
  }
  o.out(`\nEvaluation ${e.id}: ${e.status}`);
  o.out(scoresTable(e));
  const verdict = verdictLine(e);
  if (verdict) o.out(`\n${verdict}`);
  if (e.error) o.out(`\n${e.error.message}`);
  if (e.tracking.links?.run) o.out(`\nMLflow run: ${e.tracking.links.run}`);
  else if (e.tracking.state === 'failed')
    o.out(`\nTracking failed: ${e.tracking.last_error ?? 'see the hub logs'}`);
}

async function serve(v: Values, o: Out): Promise<number> {
  const { startServer } = await import('./app.js');
  const port = v.port !== undefined ? Number(v.port) : undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
    throw new UsageError(`--port must be 0-65535, got '${v.port}'.`);
  const config = loadConfig({ ...(v.config ? { file: v.config } : {}) });
  const logger = createLogger({ level: config.logLevel });
  const server = await startServer({
    config,
    hubOptions: { logger },
    ...(port !== undefined ? { port } : {}),
    ...(v.host ? { host: v.host } : {}),
  });
  logger.info(
    {
      url: server.url,
      providers: server.hub.providers.ids(),
      tracker: server.hub.tracker.name,
      store: server.hub.store.name,
    },
    `Eval Hub ${server.hub.version} listening on ${server.url} (API docs: ${server.url}/docs)`,
  );
  if (v.json) o.out(JSON.stringify({ url: server.url, port: server.port }));
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        logger.warn(`${signal} again: exiting without waiting`);
        process.exit(1);
      }
      stopping = true;
      logger.info(`${signal}: shutting down (running benchmarks resume on the next start)`);
      server.close().then(
        () => {
          logger.info('stopped');
          resolve(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

export async function main(argv: string[], o: Out = io): Promise<number> {
  if (argv[0] === 'mcp') return runMcpCommand(argv.slice(1));
  if (argv[0] === 'datasets') return (await import('./cli-datasets.js')).datasetsMain(argv.slice(1), o);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    o.err(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (v.help || !command) {
    (command || v.help ? o.out : o.err)(USAGE);
    return v.help ? 0 : 2;
  }
  const apiKey = v['api-key'] ?? process.env.EVALHUB_API_KEY;
  const client = new HubClient({
    url: v.url ?? process.env.EVALHUB_URL ?? 'http://localhost:8000',
    ...(apiKey ? { apiKey } : {}),
  });
  const needId = (): string => {
    if (rest.length !== 1) throw new UsageError(`'evalhub ${command}' needs exactly one evaluation id.`);
    return rest[0]!;
  };
  try {
    switch (command) {
      case 'serve':
        return await serve(v, o);
      case 'run': {
        if (rest.length !== 1)
          throw new UsageError("'evalhub run' needs one request file (JSON), or '-' for stdin.");
        if (v.junit !== undefined && !v.wait)
          throw new UsageError('--junit needs --wait (the report is written when the evaluation finishes).');
        const body = readRequest(rest[0]!);
        const { status, body: evaluation } = await submitPatiently(client, body, v, o);
        if (!v.wait) {
          if (v.json) o.out(JSON.stringify(evaluation, null, 2));
          else
            o.out(
              `${status === 200 ? 'Already submitted' : 'Submitted'}: ${evaluation.id} (${evaluation.status})\nFollow it: evalhub get ${evaluation.id}`,
            );
          return 0;
        }
        if (!v.json)
          o.err(
            `Submitted ${evaluation.id}; waiting for it to finish (Ctrl-C stops waiting, the evaluation keeps running)`,
          );
        const final = await waitFor(client, evaluation, v, o);
        printFinal(final, v, o);
        if (v.junit !== undefined) {
          try {
            writeFileSync(v.junit, junitReport(final));
          } catch (err) {
            o.err(`Cannot write the JUnit report ${v.junit}: ${(err as Error).message}`);
            return 2;
          }
          if (!v.json) o.err(`JUnit report: ${v.junit}`);
        }
        return gateExitCode(final);
      }
      case 'compare': {
        if (rest.length !== 2) throw new UsageError("'evalhub compare' needs two evaluation ids: A B.");
        const tolerance = v.tolerance === undefined ? undefined : Number(v.tolerance);
        if (tolerance !== undefined && (!Number.isFinite(tolerance) || tolerance < 0))
          throw new UsageError(`--tolerance must be a number >= 0, got '${v.tolerance}'.`);
        const c = await client.compare(rest[0]!, rest[1]!, tolerance !== undefined ? { tolerance } : {});
        if (v.json) o.out(JSON.stringify(c, null, 2));
        else {
          o.out(`A = ${c.evaluation_id}\nB = ${c.with}\n`);
          o.out(c.rows.length ? comparisonTable(c) : 'No metric in common.');
          o.out(`\n${c.regressions} regression${c.regressions === 1 ? '' : 's'}`);
        }
        return c.regressions > 0 ? 1 : 0;
      }
      case 'list': {
        const body = await client.list(listQuery(v));
        if (v.json) {
          o.out(JSON.stringify(body, null, 2));
          return 0;
        }
        o.out(
          table(
            ['id', 'status', 'experiment', 'model', 'benchmarks', 'created'],
            body.items.map((e) => [
              e.id,
              e.status,
              e.experiment?.name ?? '',
              e.model.name,
              e.benchmarks.map((b) => b.benchmark_id).join(','),
              e.created_at,
            ]),
          ),
        );
        o.out(
          `\n${body.items.length} of ${body.total}${body.next_cursor ? ` (next page: --cursor ${body.next_cursor})` : ''}`,
        );
        return 0;
      }
      case 'get': {
        const body = await client.get(needId());
        o.out(v.json ? JSON.stringify(body, null, 2) : describeEvaluation(body));
        return 0;
      }
      case 'cancel': {
        const body = await client.cancel(needId());
        o.out(v.json ? JSON.stringify(body, null, 2) : `Evaluation ${body.id}: ${body.status}`);
        return 0;
      }
      case 'providers': {
        const body = await client.providers();
        o.out(
          v.json
            ? JSON.stringify(body, null, 2)
            : table(
                ['id', 'name', 'version', 'benchmarks', 'package'],
                body.items.map((p) => [p.id, p.name, p.version, p.benchmarks.length, p.package]),
              ),
        );
        return 0;
      }
      case 'benchmarks': {
        const body = await client.benchmarks({
          ...(v.provider ? { provider: v.provider } : {}),
          ...(v.category ? { category: v.category } : {}),
        });
        o.out(
          v.json
            ? JSON.stringify(body, null, 2)
            : table(
                ['provider', 'benchmark', 'category', 'primary metric'],
                body.items.map((b) => [b.provider_id, b.id, b.category, b.primary_metric]),
              ),
        );
        return 0;
      }
      default:
        throw new UsageError(`Unknown command '${command}'.`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      o.err(`${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof HubError) {
      if (v.json && err.body) o.out(JSON.stringify(err.body, null, 2));
      o.err(`Error${err.status ? ` (HTTP ${err.status})` : ''}: ${err.message}`);
      for (const d of err.body?.error?.details ?? [])
        if (d.message !== err.message) o.err(`  ${d.pointer || '(body)'}: ${d.message}`);
      if (err.body?.request_id) o.err(`  request id: ${err.body.request_id}`);
      return 2;
    }
    const name = (err as { name?: string }).name;
    if (name === 'ConfigError' || name === 'PluginError') {
      o.err(`Cannot start: ${(err as Error).message}`);
      return 2;
    }
    o.err(`Error: ${(err as Error).stack ?? String(err)}`);
    return 2;
  }
}

const isMain = (() => {
  try {
    const entry = process.argv[1] ? new URL(`file://${process.argv[1]}`).pathname : '';
    return /\/cli\.(js|ts)$/.test(entry) || /\/evalhub$/.test(entry);
  } catch {
    return false;
  }
})();
if (isMain) {
  main(process.argv.slice(2)).then(
    (code) => {
      // `serve` may leave plugin timers behind after a graceful close; the state is persisted by now.
      if (process.argv[2] === 'serve') process.exit(code);
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
