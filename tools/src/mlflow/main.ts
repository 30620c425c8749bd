#!/usr/bin/env node
// CLI around the MLflow launcher, for the demo and CI:
//
//   node tools/dist/mlflow/main.js start [--dir <folder>] [--python <venv python>]
//   npx tsx tools/src/mlflow/main.ts start
//
// Prints one JSON line {"trackingUri": "...", "port": ..., "dir": "...", "pid": ...} on stdout once
// the server is healthy, then keeps running until SIGINT/SIGTERM, when it stops the server.
import { parseArgs } from 'node:util';
import { startMlflowServer } from './launcher.js';

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      python: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command] = positionals;
  if (values.help || command !== 'start') {
    process.stderr.write('usage: mlflow-server start [--dir <folder>] [--python <path to venv python>]\n');
    return values.help ? 0 : 2;
  }
  const server = await startMlflowServer({
    ...(values.dir ? { dir: values.dir } : {}),
    ...(values.python ? { python: values.python } : {}),
  });
  process.stdout.write(
    `${JSON.stringify({ trackingUri: server.trackingUri, port: server.port, dir: server.dir, pid: server.pid, startupMs: server.startupMs })}\n`,
  );
  await new Promise<void>((ok) => {
    const done = () => ok();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await server.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
