import { BenchmarkFailedError, PROBE_HEADER, redactUrl } from '@evalhub/core';
import {
  DEFAULT_PREFLIGHT_RETRY_MS,
  isTransientStatus,
  nextDelay,
  retryAfterMs,
  sleep,
  transientErrorCode,
  type RetryPolicy,
} from './preflight-retry.js';

export interface PreflightInput {
  /** OpenAI-compatible base URL ending in `/v1`. */
  baseUrl: string;
  model: string;
  /** The task scores loglikelihoods (multiple_choice, loglikelihood, loglikelihood_rolling). */
  needsLoglikelihood: boolean;
  /** The benchmark asked for the chat endpoint. */
  chat: boolean;
  tokenizerBackend: 'remote' | 'huggingface' | 'tiktoken' | 'none';
  apiKey?: string;
  signal: AbortSignal;
  /** Per-probe timeout. Default 30 s. */
  timeoutMs?: number;
  /**
   * How long each probe keeps retrying transient trouble (503/429/502/504, refused or reset
   * connections) with backoff. Default 60 s; 0 = no retries.
   */
  retryBudgetMs?: number;
  /** Also ask whether the completions endpoint takes a batch of prompts in one request. */
  probeBatch?: boolean;
}

export interface PreflightResult {
  modelType: 'local-completions' | 'local-chat-completions';
  /** The server's context length (vLLM's `/tokenize` reports `max_model_len`). */
  maxModelLen?: number;
  /**
   * With `probeBatch`: the completions endpoint answered a two-prompt request with two choices
   * (vLLM does; llama.cpp's server and some gateways take one prompt per request).
   */
  batchPrompts?: boolean;
  /** Human-readable notes for the benchmark log. */
  notes: string[];
}

const PROBE_PROMPT = 'Question: Which gas do plants take in from the air?\nAnswer: carbon dioxide';

interface ProbeResponse {
  status: number;
  body: unknown;
  /** Attempts made (more than 1 after transient failures). */
  attempts: number;
}

/** Server root of the tokenizer endpoints: the base URL minus a trailing `/v1`. */
export function serverRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

async function probe(
  url: string,
  input: PreflightInput,
  init: { method: 'GET' | 'POST'; body?: unknown },
  notes?: string[],
): Promise<ProbeResponse> {
  const policy: RetryPolicy = { budgetMs: input.retryBudgetMs ?? DEFAULT_PREFLIGHT_RETRY_MS };
  const started = Date.now();
  const what = `${init.method} ${redactUrl(url)}`;
  for (let attempt = 1; ; attempt++) {
    const outcome = await probeOnce(url, input, init);
    const elapsed = Date.now() - started;
    const transient =
      'response' in outcome
        ? isTransientStatus(outcome.response.status)
        : outcome.transientCode !== undefined;
    const serverDelay =
      'response' in outcome ? retryAfterMs(outcome.response.headers.get('retry-after')) : undefined;
    const delay = transient ? nextDelay(policy, attempt, elapsed, serverDelay) : undefined;
    const trouble =
      'response' in outcome ? `HTTP ${outcome.response.status}` : (outcome.transientCode ?? 'error');
    if (delay === undefined) {
      const retried = attempt > 1 ? `; ${attempt} attempts over ${Math.round(elapsed / 1000)} s` : '';
      if ('error' in outcome) {
        throw new BenchmarkFailedError(
          `Model server unreachable: ${what} failed (${outcome.reason}${retried}).`,
          { code: 'model_unreachable', cause: outcome.error },
        );
      }
      if (attempt > 1) notes?.push(`${what}: ${trouble} after ${attempt} attempts; giving up.`);
      return readBody(outcome.response, attempt);
    }
    notes?.push(`${what}: ${trouble}, trying again in ${delay} ms (attempt ${attempt + 1}).`);
    if ('response' in outcome) await outcome.response.body?.cancel().catch(() => undefined);
    try {
      await sleep(delay, input.signal);
    } catch (reason) {
      throw stoppedError(reason);
    }
  }
}

type Attempt = { response: Response } | { error: unknown; reason: string; transientCode?: string };

async function probeOnce(
  url: string,
  input: PreflightInput,
  init: { method: 'GET' | 'POST'; body?: unknown },
): Promise<Attempt> {
  const timeout = AbortSignal.timeout(input.timeoutMs ?? 30_000);
  const signal = AbortSignal.any([input.signal, timeout]);
  // through the hub's model gateway a probe is not one of the benchmark's requests (perf data)
  const headers: Record<string, string> = { accept: 'application/json', [PROBE_HEADER]: 'preflight' };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (input.apiKey) headers.authorization = `Bearer ${input.apiKey}`;
  try {
    const response = await fetch(url, {
      method: init.method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal,
    });
    return { response };
  } catch (err) {
    if (input.signal.aborted) throw stoppedError(input.signal.reason);
    if (timeout.aborted)
      return { error: err, reason: `no answer within ${Math.round((input.timeoutMs ?? 30_000) / 1000)} s` };
    const transientCode = transientErrorCode(err);
    return { error: err, reason: describeFetchError(err), ...(transientCode ? { transientCode } : {}) };
  }
}

function stoppedError(reason: unknown): BenchmarkFailedError {
  return new BenchmarkFailedError(
    `Stopped while checking the model server (${reason instanceof Error ? reason.message : 'cancelled or timed out'}).`,
    { code: 'benchmark_aborted', cause: reason },
  );
}

async function readBody(response: Response, attempts: number): Promise<ProbeResponse> {
  let body: unknown;
  const text = await response.text();
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    body = text.slice(0, 300);
  }
  return { status: response.status, body, attempts };
}

function attemptsText(response: ProbeResponse): string {
  return response.attempts > 1 ? ` after ${response.attempts} attempts` : '';
}

function describeFetchError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  return err instanceof Error ? err.message : String(err);
}

function errorText(body: unknown): string {
  if (typeof body === 'string') return body;
  const message = (body as { error?: { message?: unknown } | string; message?: unknown } | undefined) ?? {};
  if (typeof message.error === 'string') return message.error;
  if (typeof message.error?.message === 'string') return message.error.message;
  if (typeof message.message === 'string') return message.message;
  return '';
}

/**
 * Checks, before lm-eval starts, that the model server can run this task:
 * reachable; completions endpoint present for loglikelihood tasks (else: chat-only server);
 * prompt logprobs returned with `echo` (else multiple-choice scores would silently sit at chance);
 * the remote tokenizer endpoints present when `tokenizer_backend=remote`.
 */
export async function preflight(input: PreflightInput): Promise<PreflightResult> {
  const base = input.baseUrl.replace(/\/+$/, '');
  const notes: string[] = [];

  const models = await probe(`${base}/models`, input, { method: 'GET' }, notes);
  if (models.status === 401 || models.status === 403) {
    throw new BenchmarkFailedError(
      `Model server refused the request (HTTP ${models.status}): check the API key.`,
      {
        code: 'model_unauthorized',
      },
    );
  }
  if (models.status >= 500) {
    throw new BenchmarkFailedError(
      `Model server error on GET /models (HTTP ${models.status}${attemptsText(models)}): ${errorText(models.body)}`,
      {
        code: 'model_unavailable',
      },
    );
  }
  const served = (models.body as { data?: { id?: unknown }[] } | undefined)?.data;
  if (
    models.status === 200 &&
    Array.isArray(served) &&
    served.length > 0 &&
    !served.some((m) => m?.id === input.model)
  ) {
    const names = served
      .map((m) => String(m?.id))
      .slice(0, 10)
      .join(', ');
    throw new BenchmarkFailedError(
      `Model '${input.model}' is not served by ${redactUrl(base)} (it serves: ${names}).`,
      {
        code: 'model_not_served',
      },
    );
  }

  if (input.chat) {
    if (input.needsLoglikelihood) throw chatOnlyError('the benchmark asks for the chat endpoint');
    return { modelType: 'local-chat-completions', notes };
  }

  const completion = await probe(
    `${base}/completions`,
    input,
    {
      method: 'POST',
      body: input.needsLoglikelihood
        ? {
            model: input.model,
            prompt: PROBE_PROMPT,
            max_tokens: 1,
            temperature: 0,
            echo: true,
            logprobs: 1,
            seed: 1234,
          }
        : { model: input.model, prompt: PROBE_PROMPT, max_tokens: 1, temperature: 0 },
    },
    notes,
  );
  if (completion.status === 404 || completion.status === 405 || completion.status === 501) {
    if (input.needsLoglikelihood)
      throw chatOnlyError(`POST /v1/completions answered HTTP ${completion.status}`);
    notes.push(`The server has no /v1/completions (HTTP ${completion.status}): using /v1/chat/completions.`);
    return { modelType: 'local-chat-completions', notes };
  }
  if (completion.status !== 200) {
    throw new BenchmarkFailedError(
      `Model server failed the completions probe (HTTP ${completion.status}${attemptsText(completion)}): ${errorText(completion.body) || 'no message'}`,
      { code: completion.status >= 500 ? 'model_unavailable' : 'model_rejected_probe' },
    );
  }

  let maxModelLen: number | undefined;
  let promptTokens: number | undefined;
  if (input.tokenizerBackend === 'remote') {
    const root = serverRoot(base);
    const info = await probe(`${root}/tokenizer_info`, input, { method: 'GET' }, notes);
    const tokenized = await probe(
      `${root}/tokenize`,
      input,
      { method: 'POST', body: { model: input.model, prompt: PROBE_PROMPT, add_special_tokens: false } },
      notes,
    );
    const tokens = (tokenized.body as { tokens?: unknown } | undefined)?.tokens;
    if (info.status !== 200 || tokenized.status !== 200 || !Array.isArray(tokens)) {
      throw new BenchmarkFailedError(
        `The model server has no usable tokenizer endpoints (GET /tokenizer_info → HTTP ${info.status}, POST /tokenize → HTTP ${tokenized.status}); ` +
          `lm-eval needs them with tokenizer_backend=remote. Start vLLM with --enable-tokenizer-info-endpoint, ` +
          `or set the provider's tokenizer_backend to huggingface with a local tokenizer folder.`,
        { code: 'model_tokenizer_missing' },
      );
    }
    promptTokens = tokens.length;
    const len = (tokenized.body as { max_model_len?: unknown }).max_model_len;
    if (typeof len === 'number' && Number.isInteger(len) && len > 0) maxModelLen = len;
  }

  if (input.needsLoglikelihood) checkPromptLogprobs(completion.body, promptTokens);
  const batchPrompts = input.probeBatch ? await takesBatches(base, input, notes) : undefined;
  return {
    modelType: 'local-completions',
    maxModelLen,
    notes,
    ...(batchPrompts !== undefined ? { batchPrompts } : {}),
  };
}

/** One completion request with two prompts: two choices back means the server batches prompts. */
async function takesBatches(base: string, input: PreflightInput, notes: string[]): Promise<boolean> {
  const answer = await probe(
    `${base}/completions`,
    input,
    {
      method: 'POST',
      body: { model: input.model, prompt: [PROBE_PROMPT, PROBE_PROMPT], max_tokens: 1, temperature: 0 },
    },
    notes,
  );
  const choices = (answer.body as { choices?: unknown } | undefined)?.choices;
  if (answer.status === 200 && Array.isArray(choices) && choices.length === 2) return true;
  notes.push(
    `The server does not take several prompts in one completion request (HTTP ${answer.status}` +
      `${Array.isArray(choices) ? `, ${choices.length} choice(s) for 2 prompts` : ''}): one prompt per request.`,
  );
  return false;
}

function chatOnlyError(why: string): BenchmarkFailedError {
  return new BenchmarkFailedError(
    `This task scores loglikelihoods, which needs /v1/completions with echo and prompt logprobs; ` +
      `a chat-only endpoint cannot run it (${why}). Use a completions endpoint or a generate_until task.`,
    { code: 'model_chat_only' },
  );
}

/**
 * The chance-level canary: an echo+logprobs completion must return a logprob for every prompt token
 * after the first (plus the generated one). Servers that return logprobs for generated tokens only
 * would make every multiple-choice answer look alike, scoring at chance without any error.
 */
export function checkPromptLogprobs(body: unknown, promptTokens?: number): void {
  const choice = (body as { choices?: { logprobs?: { token_logprobs?: unknown } | null }[] } | undefined)
    ?.choices?.[0];
  const values = choice?.logprobs?.token_logprobs;
  const fail = (detail: string): never => {
    throw new BenchmarkFailedError(
      `The model server does not return prompt logprobs (${detail}); loglikelihood and multiple-choice scores ` +
        `would silently sit at chance level. Use a server that supports echo with logprobs on /v1/completions ` +
        `(vLLM does).`,
      { code: 'model_no_prompt_logprobs' },
    );
  };
  if (!Array.isArray(values)) return fail('no logprobs.token_logprobs in an echo+logprobs completion');
  const minimum = promptTokens !== undefined ? promptTokens : 2;
  if (values.length < minimum)
    return fail(`${values.length} token logprobs for a ${promptTokens ?? 'multi'}-token prompt`);
  const missing = values.slice(1).filter((v) => typeof v !== 'number' || !Number.isFinite(v)).length;
  if (missing > 0)
    return fail(`${missing} of the ${values.length - 1} logprobs after the first token are null`);
}
