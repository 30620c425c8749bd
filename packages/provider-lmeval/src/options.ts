/**
 * Most prompts per completion request through the hub's model gateway when nothing sets
 * `batch_size`: enough that lm-eval's client sends a sixteenth of the requests (its per-request
 * cost, not the server, bounded a run at batch 1). Measured in tools/src/bench/throughput.ts.
 */
export const GATEWAY_BATCH_SIZE = 16;

/**
 * The default batch through the gateway for a server of `concurrency` sequences: at most
 * `GATEWAY_BATCH_SIZE`, and small enough that four requests fit at the server at once (so
 * evaluations sharing it interleave, and the limiter has room to adapt): 1 up to 7 sequences.
 */
export function gatewayBatchSize(concurrency: number): number {
  return Math.max(1, Math.min(GATEWAY_BATCH_SIZE, Math.floor(concurrency / 4)));
}

/** Options of the lm-eval provider plugin (the `options` block of its entry in the hub config). */
export interface LmEvalProviderOptions {
  /** Python interpreter with lm-eval installed. Default: the hub's `python`, else `python3`. */
  python?: string;
  /**
   * Command that runs lm-eval instead of `<python> -m lm_eval`, e.g. `lm-eval` or
   * `["/opt/venv/bin/lm-eval"]`. The `run` subcommand and the flags are appended.
   */
  lm_eval_command?: string | string[];
  /** Root folder `dataset_path` must stay inside. Default: the hub's data root. */
  data_root?: string;
  /** Folder of custom lm-eval task YAMLs (passed as `--include_path`); their tasks become benchmarks. */
  tasks_dir?: string;
  /**
   * Parallel requests to the model server (`num_concurrent`). Default: through the hub's model
   * gateway its concurrency (the server's `max_concurrency`, so the gateway is the limit), else 4.
   */
  concurrency?: number;
  /** Retries per request (`max_retries`). Default: 1 through the model gateway (it retries), else 3. */
  max_retries?: number;
  /** lm-eval tokenizer backend for completions models. Default `remote` (the server's /tokenize). */
  tokenizer_backend?: 'remote' | 'huggingface' | 'tiktoken' | 'none';
  /** Tokenizer for the `huggingface` backend: a local folder (nothing is downloaded). */
  tokenizer?: string;
  /**
   * Prompts per request (`--batch_size`). Default: through the hub's model gateway
   * `gatewayBatchSize(concurrency)` (16 for a server of 64 sequences or more) when the server
   * answers a two-prompt probe with two choices (vLLM does), else 1.
   */
  batch_size?: number;
  /** `--limit` applied when a benchmark sets none (documents per task). Default: no limit. */
  default_limit?: number;
  /** Timeout of one model request, in seconds (`timeout` model arg). Default 300. */
  request_timeout_seconds?: number;
  /** Run the preflight probes (reachability, chat-only endpoint, prompt logprobs). Default true. */
  preflight?: boolean;
  /**
   * How long each preflight probe keeps retrying transient trouble (HTTP 503/429/502/504 with
   * `Retry-After`, refused or reset connections), in seconds. Default 60; 0 = no retries.
   */
  preflight_retry_seconds?: number;
  /**
   * Default `dataset_path` per benchmark id (JSONL under the data root), used when a request gives
   * none — so an air-gapped hub can serve `{"benchmark_id": "arc_easy"}` from its own copy.
   */
  task_data?: Record<string, string>;
  /**
   * Whether lm-eval may reach the Hugging Face hub for task datasets: `true` never (the cache only),
   * `false` always, `auto` (default) as the hub's `HF_HUB_OFFLINE`/`HF_DATASETS_OFFLINE` say, else online.
   */
  offline?: boolean | 'auto';
  /** `HF_HOME` for lm-eval (datasets cache in `<hf_home>/datasets`). Default: the environment's. */
  hf_home?: string;
  /** File holding a Hugging Face token (a mounted secret). Default: `HF_TOKEN` of the environment. */
  hf_token_file?: string;
}

/** JSON Schema (draft 2020-12) of the options, checked by the hub's loader. */
export const optionsSchema: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  properties: {
    python: { type: 'string', minLength: 1, description: 'Python interpreter with lm-eval installed.' },
    lm_eval_command: {
      description: 'Command replacing `<python> -m lm_eval`.',
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      ],
    },
    data_root: { type: 'string', minLength: 1, description: 'Root folder dataset_path must stay inside.' },
    tasks_dir: { type: 'string', minLength: 1, description: 'Folder of custom lm-eval task YAMLs.' },
    concurrency: {
      type: 'integer',
      minimum: 1,
      maximum: 256,
      description:
        "num_concurrent. Default: through the hub's model gateway, the gateway's (the server's max_concurrency), else 4.",
    },
    max_retries: {
      type: 'integer',
      minimum: 0,
      maximum: 20,
      description: "Retries per request. Default: 1 through the hub's model gateway (it retries), else 3.",
    },
    tokenizer_backend: { enum: ['remote', 'huggingface', 'tiktoken', 'none'], default: 'remote' },
    tokenizer: { type: 'string', minLength: 1 },
    batch_size: {
      type: 'integer',
      minimum: 1,
      maximum: 1024,
      description:
        "--batch_size. Default: through the hub's model gateway min(16, max_concurrency / 4) when the server takes batched prompts, else 1.",
    },
    default_limit: { type: 'number', exclusiveMinimum: 0 },
    request_timeout_seconds: { type: 'number', exclusiveMinimum: 0, default: 300 },
    preflight: { type: 'boolean', default: true },
    preflight_retry_seconds: { type: 'number', minimum: 0, maximum: 3600, default: 60 },
    offline: {
      description: 'true: datasets from the cache only; false: may download; auto: HF_HUB_OFFLINE decides.',
      oneOf: [{ type: 'boolean' }, { const: 'auto' }],
      default: 'auto',
    },
    hf_home: { type: 'string', minLength: 1, description: 'HF_HOME for lm-eval (its dataset cache).' },
    hf_token_file: {
      type: 'string',
      minLength: 1,
      description: 'File with a Hugging Face token (secret; passed in the environment only).',
    },
    task_data: {
      type: 'object',
      description: 'Default dataset_path per benchmark id, for requests that give none.',
      additionalProperties: { type: 'string', minLength: 1 },
    },
  },
};

/** Longest `system_instruction`, in characters: at most 64 KiB in UTF-8, under Linux's 128 KiB per argument. */
const MAX_SYSTEM_INSTRUCTION_CHARS = 16_384;

/** A value lm-eval's `k=v,k2=v2` parser keeps whole: no ',' and no whitespace. */
const KEY_VALUE_TEXT = '^[^,\\s]+$';

/**
 * JSON Schema of a benchmark's `config` for this provider: the single statement of what a benchmark
 * accepts, with bounds that keep lm-eval from being started with settings it cannot run.
 */
export const benchmarkConfigSchema: Record<string, unknown> = {
  type: 'object',
  additionalProperties: false,
  properties: {
    num_fewshot: {
      type: 'integer',
      minimum: 0,
      maximum: 100,
      description: 'Few-shot examples (default: the task default).',
    },
    limit: {
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 10_000_000,
      description: 'Documents per task (a whole number), or a fraction below 1. For testing only.',
    },
    dataset_path: {
      type: 'string',
      minLength: 1,
      maxLength: 4096,
      description: 'JSONL file under the data root, run with the task template.',
    },
    dataset_revision: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$',
      description: "Revision (commit, tag or branch) of the task's hub dataset to load.",
    },
    batch_size: { type: 'integer', minimum: 1, maximum: 1024, description: 'Prompts per request.' },
    seed: { type: 'integer', minimum: 0, maximum: 4_294_967_295 },
    chat: { type: 'boolean', description: 'Use /v1/chat/completions (generate_until tasks only).' },
    system_instruction: { type: 'string', minLength: 1, maxLength: MAX_SYSTEM_INSTRUCTION_CHARS },
    gen_kwargs: {
      type: 'object',
      maxProperties: 32,
      propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' },
      // pattern and maxLength apply to string values only
      additionalProperties: {
        type: ['string', 'number', 'boolean'],
        pattern: KEY_VALUE_TEXT,
        maxLength: 256,
      },
      description: "Extra generation settings (--gen_kwargs); values without ',' or whitespace.",
    },
  },
};
