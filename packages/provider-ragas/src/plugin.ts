import { isAbsolute, resolve } from 'node:path';
import { definePlugin } from '@evalhub/core';
import { RAGAS_ERROR_CODES } from './error-codes.js';
import type { JsonMode } from './config.js';
import { RagasProvider } from './provider.js';

/** Options of the `@evalhub/provider-ragas` plugin (hub config). */
export interface RagasPluginOptions {
  python?: string;
  data_root?: string;
  embeddings_url?: string;
  embeddings_model?: string;
  json_mode?: JsonMode;
  concurrency?: number;
  timeout_seconds?: number;
  judge_api_key?: string;
  embeddings_api_key?: string;
}

export const optionsSchema: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  properties: {
    python: {
      type: 'string',
      minLength: 1,
      description: "Python with ragas 0.4.x (default: the hub's python).",
    },
    data_root: {
      type: 'string',
      minLength: 1,
      description: "Folder dataset_path values must stay inside (default: the hub's data root).",
    },
    embeddings_url: {
      type: 'string',
      pattern: '^https?://',
      description: "OpenAI-compatible embeddings base URL (default: the judge's).",
    },
    embeddings_model: { type: 'string', minLength: 1 },
    json_mode: { enum: ['json_object', 'md_json'] },
    concurrency: { type: 'integer', minimum: 1, maximum: 256 },
    timeout_seconds: { type: 'number', exclusiveMinimum: 0 },
    judge_api_key: { type: 'string', description: 'Secret: sent to the runner in its environment only.' },
    embeddings_api_key: {
      type: 'string',
      description: 'Secret: sent to the runner in its environment only.',
    },
  },
};

export const ragasProvider = definePlugin<RagasPluginOptions>({
  name: '@evalhub/provider-ragas',
  kind: 'provider',
  apiVersion: 1,
  optionsSchema,
  errorCodes: RAGAS_ERROR_CODES,
  register(ctx, options) {
    const fromConfig = (p: string): string => (isAbsolute(p) ? p : resolve(ctx.hub.configDir, p));
    // a bare command name (python3) is looked up on PATH; a path is resolved from the config's folder
    const python = options.python
      ? /[/\\]/.test(options.python)
        ? fromConfig(options.python)
        : options.python
      : (ctx.hub.python ?? 'python3');
    if (!options.python && !ctx.hub.python) {
      ctx.logger.warn({ plugin: '@evalhub/provider-ragas' }, 'no python configured; using python3 from PATH');
    }
    ctx.addProvider(
      new RagasProvider({
        python,
        dataRoot: options.data_root ? fromConfig(options.data_root) : ctx.hub.dataRoot,
        ...(options.embeddings_url ? { embeddingsUrl: options.embeddings_url } : {}),
        ...(options.embeddings_model ? { embeddingsModel: options.embeddings_model } : {}),
        ...(options.json_mode ? { jsonMode: options.json_mode } : {}),
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        ...(options.timeout_seconds ? { timeoutSeconds: options.timeout_seconds } : {}),
        ...(options.judge_api_key ? { judgeApiKey: options.judge_api_key } : {}),
        ...(options.embeddings_api_key ? { embeddingsApiKey: options.embeddings_api_key } : {}),
      }),
    );
  },
});

export default ragasProvider;
