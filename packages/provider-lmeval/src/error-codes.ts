import { defineErrorCodes, registerErrorCodes } from '@evalhub/core';

/**
 * The lm-eval provider's error codes (all recorded on the benchmark), contributed through its
 * manifest. The provider also uses core's `benchmark_aborted` and `benchmark_invalid`.
 */
export const LMEVAL_ERROR_CODES = defineErrorCodes({
  model_unreachable: {
    kind: 'benchmark',
    meaning: 'lm-eval preflight: the model server cannot be reached (after retries)',
    fix: 'check `model.url` and that the server is up and reachable from the hub',
  },
  model_not_served: {
    kind: 'benchmark',
    meaning:
      'lm-eval preflight: the model server does not serve `model.name` (the message lists what it serves)',
    fix: 'use a model name the server lists',
  },
  model_unauthorized: {
    kind: 'benchmark',
    meaning: 'lm-eval preflight: the model server refused the API key',
    fix: "check the model server's API key",
  },
  model_unavailable: {
    kind: 'benchmark',
    meaning: 'lm-eval preflight: the model server answered with a server error',
    fix: "check the model server's health and logs",
  },
  model_rejected_probe: {
    kind: 'benchmark',
    meaning: 'lm-eval preflight: the model server refused a one-token completions probe',
    fix: "see the server's message; the endpoint must accept `/v1/completions`",
  },
  model_chat_only: {
    kind: 'benchmark',
    meaning: 'a log-likelihood task against a chat-only endpoint',
    fix: 'use a completions endpoint, or a `generate_until` task',
  },
  model_no_prompt_logprobs: {
    kind: 'benchmark',
    meaning: 'the server returns no prompt logprobs: the task would silently score at chance',
    fix: 'use a server that supports echo with logprobs on `/v1/completions` (vLLM does)',
  },
  model_tokenizer_missing: {
    kind: 'benchmark',
    meaning: 'no remote tokenizer and no local one configured',
    fix: "start vLLM with `--enable-tokenizer-info-endpoint`, or set the provider's `tokenizer_backend: huggingface`",
  },
  lmeval_failed: {
    kind: 'benchmark',
    meaning: "lm-eval exited non-zero (the message is the log's tail), or its task folder cannot be found",
    fix: "read the log's tail; check the Python tools (`tools/python/setup-env.sh`)",
  },
  lmeval_results_invalid: {
    kind: 'benchmark',
    meaning: 'lm-eval exited but wrote no usable results',
    fix: "read the benchmark's log; report it if lm-eval succeeded",
  },
  dataset_unavailable: {
    kind: 'benchmark',
    meaning: "lm-eval could not load a task's hub dataset: the message names it and the cache it looked in",
    fix: 'go online, `evalhub datasets pull`, or set `dataset_path`',
  },
  hf_token_unreadable: {
    kind: 'benchmark',
    meaning: "the lm-eval provider's `hf_token_file` cannot be read or is empty",
    fix: 'point `hf_token_file` at a readable file holding the token',
  },
});

type LmevalErrorCodes = typeof LMEVAL_ERROR_CODES;

declare module '@evalhub/core' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface ErrorCodeRegistry extends LmevalErrorCodes {}
}

registerErrorCodes('@evalhub/provider-lmeval', LMEVAL_ERROR_CODES);
