/**
 * `evalhub datasets pull TASK…`: fills the Hugging Face datasets cache with the data of lm-eval
 * tasks, so an air-gapped hub (offline, or an init container's volume) runs them from that cache.
 * Run it where the Hugging Face hub (or an HF_ENDPOINT mirror) is reachable. It uses the lm-eval
 * provider's interpreter and settings from the hub config (python, hf_home, hf_token_file,
 * tasks_dir); the token travels in the helper's environment only.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, pluginOptionsFor } from '@evalhub/core';

interface Out {
  out(text: string): void;
  err(text: string): void;
}

/** What the CLI needs from `@evalhub/provider-lmeval` (imported at run time, like every plugin). */
interface LmEvalDatasets {
  pullDatasetsCommand(request: {
    python: string;
    tasks: readonly string[];
    revision?: string;
    includePath?: string;
  }): { command: string; args: string[] };
  parsePullEvent(line: string):
    | {
        event: 'pulled';
        task: string;
        dataset: { path?: string; name?: string };
        splits: Record<string, number>;
      }
    | { event: 'failed'; task: string; error: string }
    | { event: 'done'; cache: string; pulled: number; failed: number }
    | undefined;
}

const PROVIDER_PACKAGE = '@evalhub/provider-lmeval';

export const DATASETS_USAGE = `Usage: evalhub datasets pull TASK [TASK...] [options]

Downloads the datasets of lm-eval tasks (e.g. arc_easy) into the Hugging Face datasets cache
(HF_DATASETS_CACHE, else $HF_HOME/datasets, else ~/.cache/huggingface/datasets), for a hub that
runs offline from it. Needs network access to the Hugging Face hub or an HF_ENDPOINT mirror.

Options:
  --revision REV     Dataset revision (commit, tag or branch) to pin
  --hf-home DIR      HF_HOME to fill (default: the lm-eval plugin's hf_home, else HF_HOME)
  --python PATH      Interpreter with lm-eval (default: the plugin's python, the hub's, or python3)
  --config FILE      Hub config file to read those defaults from
  --json             One JSON object per line
  -h, --help         This help

A Hugging Face token is read from HF_TOKEN or the plugin's hf_token_file, never from the command line.
`;

export async function datasetsMain(argv: string[], o: Out): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        revision: { type: 'string' },
        'hf-home': { type: 'string' },
        python: { type: 'string' },
        config: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    o.err(`${(err as Error).message}\n\n${DATASETS_USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const [sub, ...tasks] = positionals;
  if (v.help) {
    o.out(DATASETS_USAGE);
    return 0;
  }
  if (sub !== 'pull' || tasks.length === 0) {
    o.err(
      `${sub && sub !== 'pull' ? `Unknown datasets command '${sub}'.` : 'Name the tasks to pull.'}\n\n${DATASETS_USAGE}`,
    );
    return 2;
  }

  let lib: LmEvalDatasets;
  try {
    const specifier = PROVIDER_PACKAGE;
    lib = (await import(specifier)) as LmEvalDatasets;
  } catch (err) {
    o.err(`Cannot load ${PROVIDER_PACKAGE} (${(err as Error).message}); install it next to the hub.`);
    return 2;
  }

  const config = loadConfig(v.config ? { file: v.config } : {});
  const options = pluginOptionsFor(config, PROVIDER_PACKAGE) as {
    python?: string;
    hf_home?: string;
    hf_token_file?: string;
    tasks_dir?: string;
  };
  const fromConfig = (p: string): string => (isAbsolute(p) ? p : resolve(config.configDir, p));
  const python =
    v.python ?? (options.python ? fromConfig(options.python) : undefined) ?? config.python ?? 'python3';
  const hfHome = v['hf-home'] ?? (options.hf_home ? fromConfig(options.hf_home) : undefined);

  let command: { command: string; args: string[] };
  try {
    command = lib.pullDatasetsCommand({
      python,
      tasks,
      ...(v.revision ? { revision: v.revision } : {}),
      ...(options.tasks_dir ? { includePath: fromConfig(options.tasks_dir) } : {}),
    });
  } catch (err) {
    o.err(`${(err as Error).message}\n\n${DATASETS_USAGE}`);
    return 2;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' };
  if (hfHome) env.HF_HOME = resolve(hfHome);
  if (options.hf_token_file) {
    try {
      env.HF_TOKEN = readFileSync(fromConfig(options.hf_token_file), 'utf8').trim();
    } catch (err) {
      o.err(
        `Cannot read hf_token_file ${options.hf_token_file} (${(err as NodeJS.ErrnoException).code ?? 'error'}).`,
      );
      return 2;
    }
  }

  return new Promise<number>((done) => {
    const child = spawn(command.command, command.args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    let stderrTail = '';
    let summary: { failed: number } | undefined;
    const onLine = (line: string): void => {
      const event = lib.parsePullEvent(line);
      if (!event) return;
      if (v.json) {
        o.out(line);
      } else if (event.event === 'pulled') {
        const splits = Object.entries(event.splits)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ');
        o.out(
          `pulled ${event.task}: ${[event.dataset.path, event.dataset.name].filter(Boolean).join(' ')} (${splits})`,
        );
      } else if (event.event === 'failed') {
        o.err(`failed ${event.task}: ${event.error}`);
      } else {
        o.out(
          `${event.pulled} task(s) in the cache ${event.cache}${event.failed ? `; ${event.failed} failed` : ''}`,
        );
      }
      if (event.event === 'done') summary = event;
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderrTail = (stderrTail + chunk).slice(-4000);
    });
    child.on('error', (err) => {
      o.err(`Cannot start ${command.command}: ${err.message}`);
      done(2);
    });
    child.on('close', (code) => {
      if (buffered) onLine(buffered);
      if (!summary) {
        o.err(`The datasets helper exited with code ${code ?? 'none'}:\n${stderrTail.trim()}`);
        return done(2);
      }
      done(summary.failed > 0 ? 1 : 0);
    });
  });
}
