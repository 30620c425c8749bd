#!/usr/bin/env node
/**
 * CLI: start the fixture model server and print one JSON line `{"url": …, "baseUrl": …, "port": …}`
 * on stdout once it listens. Stops on SIGINT/SIGTERM or when stdin closes with --exit-on-stdin-close.
 *
 *   node tools/dist/fixture-model/main.js [--host H] [--port P] [--model-name NAME]
 *     [--switches SPEC] [--no-prompt-logprobs] [--chat-only] [--fail-500] [--fail-503=N]
 *     [--latency=MS] [--hang] [--strict-model] [--exit-on-stdin-close]
 */
import { parseArgs } from 'node:util';
import { startFixtureModelServer } from './server.js';
import { SwitchError, parseSwitches } from './switches.js';

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'model-name': { type: 'string' },
      'max-model-len': { type: 'string' },
      switches: { type: 'string', multiple: true },
      'no-prompt-logprobs': { type: 'boolean' },
      'chat-only': { type: 'boolean' },
      'fail-500': { type: 'boolean' },
      'fail-503': { type: 'string' },
      latency: { type: 'string' },
      hang: { type: 'boolean' },
      'strict-model': { type: 'boolean' },
      'exit-on-stdin-close': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(
      'usage: fixture-model [--host H] [--port P] [--model-name NAME] [--max-model-len N] [--switches SPEC]\n' +
        '  [--no-prompt-logprobs] [--chat-only] [--fail-500] [--fail-503 N] [--latency MS] [--hang] [--strict-model]\n' +
        '  [--exit-on-stdin-close]\n',
    );
    return 0;
  }
  const specs = [...(values.switches ?? [])];
  for (const flag of ['no-prompt-logprobs', 'chat-only', 'fail-500', 'hang', 'strict-model'] as const) {
    if (values[flag]) specs.push(flag);
  }
  if (values['fail-503'] !== undefined) specs.push(`fail-503=${values['fail-503']}`);
  if (values.latency !== undefined) specs.push(`latency=${values.latency}`);
  const switches = specs.join(',');
  parseSwitches(switches); // fail fast on a bad spec
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new SwitchError(`bad --port: ${values.port}`);
  const server = await startFixtureModelServer({
    ...(values.host !== undefined ? { host: values.host } : {}),
    port,
    ...(values['model-name'] !== undefined ? { modelName: values['model-name'] } : {}),
    ...(values['max-model-len'] !== undefined ? { maxModelLen: Number(values['max-model-len']) } : {}),
    switches,
    logger: { error: (obj, msg) => process.stderr.write(`${msg ?? 'error'} ${JSON.stringify(obj)}\n`) },
  });
  process.stdout.write(
    `${JSON.stringify({ url: server.url, baseUrl: server.baseUrl, port: server.port, model: server.modelName })}\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (values['exit-on-stdin-close']) {
      process.stdin.resume();
      process.stdin.once('end', resolve);
      process.stdin.once('close', resolve);
    }
  });
  await server.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fixture-model: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
