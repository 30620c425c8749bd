#!/usr/bin/env node
// CLI around the PostgreSQL launcher, for trying several hub replicas by hand and for benchmarks:
//
//   npx tsx tools/src/postgres/main.ts start
//   node tools/dist/postgres/main.js start
//
// Prints one JSON line {"url": "postgres://…", "port": …, "dataDir": "…"} on stdout once the server
// accepts connections (the URL holds the generated password: keep it out of logs), then keeps
// running until SIGINT/SIGTERM, when it stops the server and removes its folder.
import { parseArgs } from 'node:util';
import { startPostgres } from './launcher.js';

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals[0] !== 'start') {
    process.stderr.write('usage: postgres-server start\n');
    return values.help ? 0 : 2;
  }
  const server = await startPostgres();
  process.stdout.write(
    `${JSON.stringify({ url: server.url, port: server.port, dataDir: server.dataDir, startupMs: server.startupMs })}\n`,
  );
  await new Promise<void>((ok) => {
    process.once('SIGINT', () => ok());
    process.once('SIGTERM', () => ok());
  });
  await server.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  },
);
