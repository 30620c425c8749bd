/** Builds the lm-eval command line and environment for one benchmark run. Pure: no I/O. */

export interface LmEvalInvocation {
  /** `[command, ...prefixArgs]` that starts lm-eval, e.g. `['/venv/bin/python', '-m', 'lm_eval']`. */
  launcher: readonly string[];
  /** `local-completions` or `local-chat-completions`. */
  modelType: 'local-completions' | 'local-chat-completions';
  /** OpenAI-compatible base URL, ending in `/v1`. */
  baseUrl: string;
  modelName: string;
  /** lm-eval task names (`--tasks`). */
  tasks: readonly string[];
  outputPath: string;
  includePaths?: readonly string[];
  numFewshot?: number;
  limit?: number;
  batchSize?: number;
  concurrency?: number;
  maxRetries?: number;
  tokenizerBackend?: 'remote' | 'huggingface' | 'tiktoken' | 'none';
  tokenizer?: string;
  /** Context budget of the server (`max_length`), when known. */
  maxLength?: number;
  requestTimeoutSeconds?: number;
  seed?: number;
  systemInstruction?: string;
  /** Generation settings (`--gen_kwargs`). */
  genKwargs?: Record<string, string | number | boolean>;
  /** Secret for the model server; goes to the environment only. */
  apiKey?: string;
  /** Hugging Face variables (offline flags, caches, endpoint, token): environment only. */
  hfEnv?: Record<string, string>;
}

export interface BuiltCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** `model.configuration` keys and the lm-eval generation keys they map to. */
const GEN_KEY_MAP: Record<string, string> = {
  max_tokens: 'max_gen_toks',
  max_new_tokens: 'max_gen_toks',
  max_gen_toks: 'max_gen_toks',
  temperature: 'temperature',
  top_p: 'top_p',
  top_k: 'top_k',
  min_p: 'min_p',
  frequency_penalty: 'frequency_penalty',
  presence_penalty: 'presence_penalty',
  repetition_penalty: 'repetition_penalty',
  do_sample: 'do_sample',
  stop: 'until',
};

/**
 * Maps a model configuration (the request's `model.configuration`) to lm-eval `--gen_kwargs`.
 * Unknown keys and non-scalar values are ignored (returned in `ignored`).
 */
export function genKwargsFromConfiguration(configuration: Record<string, unknown> | undefined): {
  genKwargs: Record<string, string | number | boolean>;
  ignored: string[];
} {
  const genKwargs: Record<string, string | number | boolean> = {};
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(configuration ?? {})) {
    const target = GEN_KEY_MAP[key];
    if (target === undefined || value === null || value === undefined) {
      ignored.push(key);
      continue;
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      genKwargs[target] = value;
    else ignored.push(key);
  }
  return { genKwargs, ignored };
}

/** `k=v,k2=v2` for `--model_args`/`--gen_kwargs`; rejects values lm-eval's parser would split (',' or whitespace). */
export function formatKeyValues(values: Record<string, string | number | boolean | undefined>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const text = String(value);
    // lm-eval splits on ',' (and whitespace), then each pair on its first '='
    if (/[,\s]/.test(text) || /[,=\s]/.test(key)) {
      throw new Error(`Setting '${key}' cannot be passed to lm-eval: it contains ',' or whitespace.`);
    }
    parts.push(`${key}=${text}`);
  }
  return parts.join(',');
}

/** The completions (or chat completions) endpoint lm-eval POSTs to, from an OpenAI base URL. */
export function endpointUrl(baseUrl: string, modelType: LmEvalInvocation['modelType']): string {
  const base = baseUrl.replace(/\/+$/, '');
  return `${base}/${modelType === 'local-chat-completions' ? 'chat/completions' : 'completions'}`;
}

/** Environment every lm-eval run gets: unbuffered UTF-8 output, no telemetry, no dataset scripts. */
export const BASE_ENV: Readonly<Record<string, string>> = Object.freeze({
  HF_HUB_DISABLE_TELEMETRY: '1',
  HF_DATASETS_TRUST_REMOTE_CODE: '0',
  TOKENIZERS_PARALLELISM: 'false',
  PYTHONUNBUFFERED: '1',
  PYTHONIOENCODING: 'utf-8',
});

/** The variables that keep Hugging Face libraries off the network (the provider's `offline: true`). */
export const OFFLINE_ENV: Readonly<Record<string, string>> = Object.freeze({
  ...BASE_ENV,
  HF_HUB_OFFLINE: '1',
  HF_DATASETS_OFFLINE: '1',
  TRANSFORMERS_OFFLINE: '1',
});

export function buildLmEvalCommand(inv: LmEvalInvocation): BuiltCommand {
  const [command, ...prefix] = inv.launcher;
  if (command === undefined) throw new Error('lm-eval launcher is empty.');
  const chat = inv.modelType === 'local-chat-completions';
  const backend = chat ? 'none' : (inv.tokenizerBackend ?? 'remote');
  const modelArgs = formatKeyValues({
    model: inv.modelName,
    base_url: endpointUrl(inv.baseUrl, inv.modelType),
    num_concurrent: inv.concurrency ?? 1,
    max_retries: inv.maxRetries ?? 3,
    tokenizer_backend: backend,
    // token-id prompts keep lm-eval's context split identical to the server's tokenization
    tokenized_requests: backend === 'remote' || backend === 'huggingface' ? 'True' : 'False',
    tokenizer: backend === 'huggingface' ? inv.tokenizer : undefined,
    max_length: inv.maxLength,
    timeout: inv.requestTimeoutSeconds,
    seed: inv.seed,
  });

  const args = [
    ...prefix,
    'run',
    '--model',
    inv.modelType,
    '--model_args',
    modelArgs,
    '--tasks',
    inv.tasks.join(','),
  ];
  if (inv.numFewshot !== undefined) args.push('--num_fewshot', String(inv.numFewshot));
  if (inv.limit !== undefined) args.push('--limit', String(inv.limit));
  args.push('--batch_size', String(chat ? 1 : (inv.batchSize ?? 1)));
  const genKwargs = inv.genKwargs ?? {};
  if (Object.keys(genKwargs).length > 0) args.push('--gen_kwargs', formatKeyValues(genKwargs));
  if (chat) args.push('--apply_chat_template');
  if (inv.systemInstruction !== undefined) args.push('--system_instruction', inv.systemInstruction);
  if (inv.seed !== undefined) args.push('--seed', String(inv.seed));
  // lm-eval's CLI takes one --include_path
  if ((inv.includePaths?.length ?? 0) > 1) throw new Error('lm-eval accepts a single --include_path folder.');
  const include = inv.includePaths?.[0];
  if (include !== undefined) args.push('--include_path', include);
  args.push('--log_samples', '--output_path', inv.outputPath);

  const env: Record<string, string> = { ...BASE_ENV, ...(inv.hfEnv ?? {}) };
  // lm-eval reads the completions key from OPENAI_API_KEY; never put it on the command line
  env.OPENAI_API_KEY = inv.apiKey ?? '';
  return { command, args, env };
}
