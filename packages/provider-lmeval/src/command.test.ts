import { describe, expect, it } from 'vitest';
import { buildLmEvalCommand, endpointUrl, formatKeyValues, genKwargsFromConfiguration } from './command.js';

const base = {
  launcher: ['/venv/bin/python', '-m', 'lm_eval'],
  modelType: 'local-completions' as const,
  baseUrl: 'http://vllm:8000/v1',
  modelName: 'meta-llama/llama-3.1-8b',
  tasks: ['arc_easy'],
  outputPath: '/srv/evalhub/b0/out',
};

function modelArgs(args: string[]): Record<string, string> {
  const value = args[args.indexOf('--model_args') + 1] ?? '';
  return Object.fromEntries(
    value.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

describe('buildLmEvalCommand', () => {
  it('runs lm-eval through the interpreter with the full completions URL and remote tokenizer', () => {
    const built = buildLmEvalCommand({ ...base, concurrency: 8, maxRetries: 5 });
    expect(built.command).toBe('/venv/bin/python');
    expect(built.args.slice(0, 6)).toEqual([
      '-m',
      'lm_eval',
      'run',
      '--model',
      'local-completions',
      '--model_args',
    ]);
    expect(modelArgs(built.args)).toEqual({
      model: 'meta-llama/llama-3.1-8b',
      base_url: 'http://vllm:8000/v1/completions',
      num_concurrent: '8',
      max_retries: '5',
      tokenizer_backend: 'remote',
      tokenized_requests: 'True',
    });
    expect(built.args).toContain('--log_samples');
    expect(
      built.args.slice(built.args.indexOf('--output_path'), built.args.indexOf('--output_path') + 2),
    ).toEqual(['--output_path', '/srv/evalhub/b0/out']);
    expect(built.args.slice(built.args.indexOf('--tasks'), built.args.indexOf('--tasks') + 2)).toEqual([
      '--tasks',
      'arc_easy',
    ]);
    expect(built.args).not.toContain('--apply_chat_template');
  });

  it('passes the Hugging Face environment it is given and the API key only through the environment', () => {
    const built = buildLmEvalCommand({
      ...base,
      apiKey: 'sk-secret-123',
      hfEnv: { HF_HUB_OFFLINE: '1', HF_DATASETS_OFFLINE: '1', HF_TOKEN: 'hf_secret' },
    });
    expect(built.env).toMatchObject({ HF_HUB_OFFLINE: '1', HF_DATASETS_OFFLINE: '1', PYTHONUNBUFFERED: '1' });
    expect(built.env.OPENAI_API_KEY).toBe('sk-secret-123');
    expect(built.env.HF_TOKEN).toBe('hf_secret');
    expect(built.args.join(' ')).not.toMatch(/sk-secret-123|hf_secret/);
    // nothing forces offline any more: without settings the hub's own choice (online) stands
    expect(buildLmEvalCommand(base).env.HF_HUB_OFFLINE).toBeUndefined();
  });

  it('maps few-shot, limit, batch size, include path, max length and generation kwargs to flags', () => {
    const built = buildLmEvalCommand({
      ...base,
      numFewshot: 5,
      limit: 0.5,
      batchSize: 4,
      includePaths: ['/srv/evalhub/b0/tasks'],
      maxLength: 4096,
      genKwargs: { temperature: 0.1, max_gen_toks: 512 },
    });
    const flag = (name: string): string | undefined => built.args[built.args.indexOf(name) + 1];
    expect(flag('--num_fewshot')).toBe('5');
    expect(flag('--limit')).toBe('0.5');
    expect(flag('--batch_size')).toBe('4');
    expect(flag('--include_path')).toBe('/srv/evalhub/b0/tasks');
    expect(flag('--gen_kwargs')).toBe('temperature=0.1,max_gen_toks=512');
    expect(modelArgs(built.args).max_length).toBe('4096');
  });

  it('uses the chat endpoint with the chat template, no tokenizer and batch size 1 for chat runs', () => {
    const built = buildLmEvalCommand({
      ...base,
      modelType: 'local-chat-completions',
      batchSize: 8,
      tasks: ['gsm8k'],
    });
    const args = modelArgs(built.args);
    expect(args.base_url).toBe('http://vllm:8000/v1/chat/completions');
    expect(args.tokenizer_backend).toBe('none');
    expect(args.tokenized_requests).toBe('False');
    expect(built.args).toContain('--apply_chat_template');
    expect(built.args[built.args.indexOf('--batch_size') + 1]).toBe('1');
  });

  it('passes a local Hugging Face tokenizer folder only for the huggingface backend', () => {
    expect(
      modelArgs(
        buildLmEvalCommand({ ...base, tokenizerBackend: 'huggingface', tokenizer: '/models/tok' }).args,
      ).tokenizer,
    ).toBe('/models/tok');
    expect(
      modelArgs(buildLmEvalCommand({ ...base, tokenizer: '/models/tok' }).args).tokenizer,
    ).toBeUndefined();
  });

  it('supports a command override (lm-eval console script)', () => {
    const built = buildLmEvalCommand({ ...base, launcher: ['lm-eval'] });
    expect(built.command).toBe('lm-eval');
    expect(built.args[0]).toBe('run');
  });

  it('keeps URL switches with = and + intact, and refuses values lm-eval would split', () => {
    const built = buildLmEvalCommand({ ...base, baseUrl: 'http://127.0.0.1:9/_/latency=50+key=a/v1/' });
    expect(modelArgs(built.args).base_url).toBe('http://127.0.0.1:9/_/latency=50+key=a/v1/completions');
    expect(() => buildLmEvalCommand({ ...base, modelName: 'a,b' })).toThrow(/','/);
    expect(() => formatKeyValues({ x: 'has space' })).toThrow();
  });
});

describe('genKwargsFromConfiguration', () => {
  it('maps the model configuration to lm-eval generation kwargs', () => {
    expect(
      genKwargsFromConfiguration({
        temperature: 0.1,
        max_tokens: 512,
        top_p: 0.9,
        stream: true,
        logit_bias: { a: 1 },
      }),
    ).toEqual({
      genKwargs: { temperature: 0.1, max_gen_toks: 512, top_p: 0.9 },
      ignored: ['stream', 'logit_bias'],
    });
    expect(genKwargsFromConfiguration(undefined)).toEqual({ genKwargs: {}, ignored: [] });
  });
});

describe('endpointUrl', () => {
  it('appends the endpoint to the /v1 base URL', () => {
    expect(endpointUrl('http://h/v1', 'local-completions')).toBe('http://h/v1/completions');
    expect(endpointUrl('http://h/v1//', 'local-chat-completions')).toBe('http://h/v1/chat/completions');
  });
});
