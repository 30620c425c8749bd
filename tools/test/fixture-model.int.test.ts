import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startFixtureModelServer } from '../src/fixture-model/server.js';
import type { FixtureModelServer } from '../src/fixture-model/server.js';
import { validateInstance } from '../src/fixture-model/json-schema.js';
import type { JsonSchema } from '../src/fixture-model/json-schema.js';
import { cosine } from '../src/fixture-model/embeddings.js';

const root = inject('fixtureModelUrl');

interface CompletionLogprobs {
  tokens: string[];
  token_logprobs: (number | null)[];
  top_logprobs: (Record<string, number> | null)[];
  text_offset: number[];
}
interface Completion {
  id: string;
  model: string;
  choices: {
    index: number;
    text: string;
    logprobs: CompletionLogprobs | null;
    finish_reason: string;
    stop_reason: string | null;
  }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}
interface ChatCompletion {
  choices: { index: number; message: { role: string; content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number };
}

async function post(url: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const res = await post(url, body);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as T;
}

async function tokenize(text: string): Promise<number[]> {
  return (
    await postJson<{ tokens: number[] }>(`${root}/tokenize`, { prompt: text, add_special_tokens: false })
  ).tokens;
}

/** lm-eval's LocalCompletionsAPI.parse_logprobs: sum(token_logprobs[ctxlen:-1]) and the greedy flag. */
function lmEvalScore(
  choice: Completion['choices'][number],
  ctxlen: number,
): { logprob: number; isGreedy: boolean } {
  const lp = choice.logprobs!;
  const conts = lp.token_logprobs.slice(ctxlen, -1) as number[];
  const tops = lp.top_logprobs.slice(ctxlen, -1) as Record<string, number>[];
  return {
    logprob: conts.reduce((a, b) => a + b, 0),
    isGreedy: conts.every((v, i) => v === Math.max(...Object.values(tops[i]!))),
  };
}

/** One lm-eval loglikelihood request exactly as lm-eval 0.4.13 sends it (token-id prompt). */
async function loglikelihood(base: string, context: string, continuation: string) {
  const ctx = await tokenize(context);
  const whole = await tokenize(context + continuation);
  const out = await postJson<Completion>(`${base}/v1/completions`, {
    model: 'fixture',
    prompt: [whole],
    temperature: 0,
    max_tokens: 1,
    logprobs: 1,
    seed: 1234,
    echo: true,
  });
  return { out, ctxlen: ctx.length, promptLen: whole.length };
}

describe('fixture model server: API surface', () => {
  it('serves models, health and version', async () => {
    const models = (await (await fetch(`${root}/v1/models`)).json()) as {
      data: { id: string; max_model_len: number }[];
    };
    expect(models.data[0]?.id).toBe('fixture');
    expect(models.data[0]?.max_model_len).toBeGreaterThan(4096);
    expect((await fetch(`${root}/health`)).status).toBe(200);
    expect(((await (await fetch(`${root}/version`)).json()) as { version: string }).version).toMatch(
      /fixture/,
    );
    expect((await fetch(`${root}/v1/nope`)).status).toBe(404);
  });

  it('round-trips tokens through /tokenize and /detokenize and exposes what lm-eval reads', async () => {
    const info = (await (await fetch(`${root}/tokenizer_info`)).json()) as Record<string, unknown>;
    expect(info['eos_token']).toBe('</s>');
    expect(typeof info['chat_template']).toBe('string');
    // lm-eval's RemoteTokenizer derives the EOS id as tokenize(eos_token)[0].
    expect(await tokenize(info['eos_token'] as string)).toEqual([256]);
    const text = 'Question: What is the capital of France?\nAnswer: Paris — café';
    const tok = await postJson<{ tokens: number[]; count: number; max_model_len: number }>(
      `${root}/tokenize`,
      {
        prompt: text,
        add_special_tokens: false,
      },
    );
    expect(tok.count).toBe(tok.tokens.length);
    expect(tok.max_model_len).toBeGreaterThan(0);
    const detok = await postJson<{ prompt: string }>(`${root}/detokenize`, { tokens: tok.tokens });
    expect(detok.prompt).toBe(text);
    const chat = await postJson<{ tokens: number[] }>(`${root}/tokenize`, {
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect((await postJson<{ prompt: string }>(`${root}/detokenize`, { tokens: chat.tokens })).prompt).toBe(
      '<|user|>\nhi\n<|assistant|>\n',
    );
    expect((await post(`${root}/detokenize`, { tokens: [999] })).status).toBe(400);
  });

  it('answers identical requests with identical bytes', async () => {
    const requests: [string, unknown][] = [
      [
        `${root}/v1/completions`,
        { model: 'fixture', prompt: 'The Sun', max_tokens: 20, logprobs: 3, echo: true },
      ],
      [
        `${root}/v1/completions`,
        { model: 'fixture', prompt: 'The Sun', max_tokens: 20, temperature: 0.8, seed: 7, n: 2 },
      ],
      [
        `${root}/v1/chat/completions`,
        { model: 'fixture', messages: [{ role: 'user', content: 'What is rain?' }] },
      ],
      [`${root}/v1/embeddings`, { model: 'fixture', input: ['a', 'b'] }],
    ];
    for (const [url, body] of requests) {
      const a = await (await post(url, body)).text();
      const b = await (await post(url, body)).text();
      expect(a).toBe(b);
    }
  });
});

describe('fixture model server: completions as lm-eval uses them', () => {
  it('returns echo logprobs shaped as vLLM (first prompt token null, one generated token)', async () => {
    const { out, ctxlen, promptLen } = await loglikelihood(
      root,
      'Question: What does the Earth orbit?\nAnswer:',
      ' the Sun',
    );
    const choice = out.choices[0]!;
    const lp = choice.logprobs!;
    expect(lp.token_logprobs).toHaveLength(promptLen + 1);
    expect(lp.tokens).toHaveLength(promptLen + 1);
    expect(lp.text_offset).toHaveLength(promptLen + 1);
    expect(lp.token_logprobs[0]).toBeNull();
    expect(lp.top_logprobs[0]).toBeNull();
    for (let i = 1; i < lp.token_logprobs.length; i++) {
      expect(typeof lp.token_logprobs[i]).toBe('number');
      expect(lp.token_logprobs[i]!).toBeLessThanOrEqual(0);
      expect(lp.top_logprobs[i]![lp.tokens[i]!]).toBe(lp.token_logprobs[i]);
    }
    expect(ctxlen).toBeGreaterThan(0);
    expect(choice.text.startsWith('Question: What does the Earth orbit?\nAnswer: the Sun')).toBe(true);
    expect(out.usage.prompt_tokens).toBe(promptLen);
    expect(out.usage.completion_tokens).toBe(1);
  });

  it('scores the plausible answer above distractors (not constant logprobs)', async () => {
    const context = 'Question: What does the Earth orbit?\nAnswer:';
    const scores: Record<string, number> = {};
    for (const choice of [' the Sun', ' a bicycle', ' purple glue', ' Jupiter']) {
      const { out, ctxlen } = await loglikelihood(root, context, choice);
      scores[choice] = lmEvalScore(out.choices[0]!, ctxlen).logprob;
    }
    const best = Object.entries(scores).sort((a, b) => b[1] - a[1])[0]![0];
    expect(best).toBe(' the Sun');
    expect(new Set(Object.values(scores)).size).toBe(4);
  });

  it('marks greedy continuations', async () => {
    const context = 'Water freezes at';
    const gen = await postJson<Completion>(`${root}/v1/completions`, {
      prompt: context,
      max_tokens: 8,
      temperature: 0,
    });
    const { out, ctxlen } = await loglikelihood(root, context, gen.choices[0]!.text);
    expect(lmEvalScore(out.choices[0]!, ctxlen).isGreedy).toBe(true);
    const other = await loglikelihood(root, context, ' purple!!');
    expect(lmEvalScore(other.out.choices[0]!, other.ctxlen).isGreedy).toBe(false);
  });

  it('accepts every prompt form, n, max_tokens 0 with echo, and stop strings', async () => {
    const ids = await tokenize('The Moon');
    const forms = ['The Moon', ['The Moon', 'The Sun'], ids, [ids, ids]];
    for (const prompt of forms) {
      const out = await postJson<Completion>(`${root}/v1/completions`, {
        prompt,
        max_tokens: 5,
        n: 2,
        temperature: 0,
      });
      const prompts =
        (Array.isArray(prompt) && Array.isArray(prompt[0])) ||
        (Array.isArray(prompt) && typeof prompt[0] === 'string')
          ? prompt.length
          : 1;
      expect(out.choices.map((c) => c.index)).toEqual(Array.from({ length: prompts * 2 }, (_, i) => i));
      expect(out.choices[0]!.text).toBe(out.choices[1]!.text); // greedy: n copies agree
    }
    const zero = await postJson<Completion>(`${root}/v1/completions`, {
      prompt: ids,
      max_tokens: 0,
      echo: true,
      logprobs: 0,
    });
    expect(zero.choices[0]!.text).toBe('The Moon');
    expect(zero.choices[0]!.logprobs!.token_logprobs).toHaveLength(ids.length);
    const stopped = await postJson<Completion>(`${root}/v1/completions`, {
      prompt: 'Water freezes at',
      max_tokens: 30,
      temperature: 0,
      stop: ['degrees'],
    });
    expect(stopped.choices[0]!.text).toBe(' zero ');
    expect(stopped.choices[0]!.finish_reason).toBe('stop');
    expect((await post(`${root}/v1/completions`, { prompt: 'x', max_tokens: 0 })).status).toBe(400);
    expect((await post(`${root}/v1/completions`, { prompt: [[1, 2, 999]] })).status).toBe(400);
  });

  it('samples reproducibly with a seed when temperature > 0', async () => {
    const body = { prompt: 'The', max_tokens: 24, temperature: 1.2, n: 3 };
    const a = await postJson<Completion>(`${root}/v1/completions`, { ...body, seed: 1 });
    const b = await postJson<Completion>(`${root}/v1/completions`, { ...body, seed: 1 });
    const c = await postJson<Completion>(`${root}/v1/completions`, { ...body, seed: 2 });
    expect(a.choices.map((x) => x.text)).toEqual(b.choices.map((x) => x.text));
    expect(a.choices.map((x) => x.text)).not.toEqual(c.choices.map((x) => x.text));
  });
});

describe('fixture model server: chat and structured output', () => {
  const schema: JsonSchema = {
    $defs: {
      StatementFaithfulnessAnswer: {
        type: 'object',
        properties: {
          statement: { type: 'string' },
          reason: { type: 'string' },
          verdict: { type: 'integer', minimum: 0, maximum: 1 },
        },
        required: ['statement', 'reason', 'verdict'],
      },
    },
    type: 'object',
    properties: { statements: { type: 'array', items: { $ref: '#/$defs/StatementFaithfulnessAnswer' } } },
    required: ['statements'],
    additionalProperties: false,
  };

  it('answers plain chat with bounded n-gram text', async () => {
    const out = await postJson<ChatCompletion>(`${root}/v1/chat/completions`, {
      model: 'fixture',
      messages: [{ role: 'user', content: 'Tell me about plants.' }],
      max_tokens: 12,
      temperature: 0,
    });
    expect(out.choices[0]!.message.role).toBe('assistant');
    expect(out.choices[0]!.message.content.length).toBeGreaterThan(0);
    expect(out.usage.completion_tokens).toBeLessThanOrEqual(12);
  });

  it('returns schema-conforming JSON in json_schema mode', async () => {
    const out = await postJson<ChatCompletion>(`${root}/v1/chat/completions`, {
      model: 'fixture',
      messages: [{ role: 'user', content: 'Judge the statements.' }],
      response_format: { type: 'json_schema', json_schema: { name: 'verdicts', schema, strict: true } },
      n: 2,
    });
    for (const choice of out.choices) {
      const value: unknown = JSON.parse(choice.message.content);
      expect(validateInstance(schema, value)).toEqual([]);
      expect((value as { statements: unknown[] }).statements.length).toBeGreaterThan(0);
    }
  });

  it('follows the schema instructor embeds in the prompt in json_object mode and markdown mode', async () => {
    const instructions = `As a genius expert, your task is to understand the content and provide\nthe parsed objects in json that match the following json_schema:\n\n${JSON.stringify(schema, null, 2)}\n\nMake sure to return an instance of the JSON, not the schema itself`;
    const json = await postJson<ChatCompletion>(`${root}/v1/chat/completions`, {
      model: 'fixture',
      messages: [
        { role: 'system', content: instructions },
        { role: 'user', content: 'Statements: the sky is blue.' },
      ],
      response_format: { type: 'json_object' },
    });
    expect(validateInstance(schema, JSON.parse(json.choices[0]!.message.content))).toEqual([]);
    const plainObject = await postJson<ChatCompletion>(`${root}/v1/chat/completions`, {
      messages: [{ role: 'user', content: 'Reply in JSON.' }],
      response_format: { type: 'json_object' },
    });
    expect(typeof JSON.parse(plainObject.choices[0]!.message.content)).toBe('object');
    const md = await postJson<ChatCompletion>(`${root}/v1/chat/completions`, {
      messages: [
        { role: 'system', content: instructions },
        {
          role: 'user',
          content:
            'Statements: x.\n\nReturn the correct JSON response within a ```json codeblock. not the JSON_SCHEMA',
        },
      ],
    });
    const block = /```json\n([\s\S]*)\n```/.exec(md.choices[0]!.message.content);
    expect(block).not.toBeNull();
    expect(validateInstance(schema, JSON.parse(block![1]!))).toEqual([]);
  });

  it('lets a registered responder answer before the default', async () => {
    const server: FixtureModelServer = await startFixtureModelServer({
      responders: [(req) => (req.lastUser.includes('ping') ? 'pong' : undefined)],
    });
    try {
      const hit = await postJson<ChatCompletion>(`${server.baseUrl}/chat/completions`, {
        messages: [{ role: 'user', content: 'ping' }],
      });
      expect(hit.choices[0]!.message.content).toBe('pong');
      const miss = await postJson<ChatCompletion>(`${server.baseUrl}/chat/completions`, {
        messages: [{ role: 'user', content: 'hello' }],
        max_tokens: 5,
      });
      expect(miss.choices[0]!.message.content).not.toBe('pong');
    } finally {
      await server.close();
    }
  });
});

describe('fixture model server: embeddings', () => {
  it('returns unit vectors (float and base64) where related texts are closer', async () => {
    const input = [
      'When was the first Super Bowl?',
      'The first Super Bowl was played on January 15, 1967.',
      'Bees carry pollen from flower to flower.',
    ];
    const out = await postJson<{
      data: { index: number; embedding: number[] }[];
      usage: { prompt_tokens: number };
    }>(`${root}/v1/embeddings`, { model: 'fixture', input });
    const [q, related, unrelated] = out.data.map((d) => d.embedding) as [number[], number[], number[]];
    expect(Math.hypot(...q)).toBeCloseTo(1, 5);
    expect(cosine(q, related)).toBeGreaterThan(cosine(q, unrelated));
    const b64 = await postJson<{ data: { embedding: string }[] }>(`${root}/v1/embeddings`, {
      model: 'fixture',
      input: input[0],
      encoding_format: 'base64',
    });
    const buf = Buffer.from(b64.data[0]!.embedding, 'base64');
    const decoded = Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4));
    expect(decoded).toEqual(q);
  });
});

describe('fixture model server: behaviour switches', () => {
  const unique = (): string => `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

  it('no-prompt-logprobs drops prompt logprobs so lm-eval would score at chance', async () => {
    const { out, promptLen } = await loglikelihood(
      `${root}/_/no-prompt-logprobs`,
      'The Earth orbits',
      ' the Sun',
    );
    const lp = out.choices[0]!.logprobs!;
    expect(promptLen).toBeGreaterThan(1);
    expect(lp.token_logprobs).toHaveLength(1);
    expect(lp.token_logprobs.slice(promptLen)).toEqual([]);
    expect(out.choices[0]!.text.startsWith('The Earth orbits the Sun')).toBe(true);
  });

  it('chat-only answers 404 on completions but serves chat', async () => {
    expect((await post(`${root}/_/chat-only/v1/completions`, { prompt: 'x', max_tokens: 1 })).status).toBe(
      404,
    );
    const chat = await post(`${root}/_/chat-only/v1/chat/completions`, {
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 1,
    });
    expect(chat.status).toBe(200);
  });

  it('fail-500 fails every request; fail-503=N fails the first N per key and endpoint', async () => {
    expect((await fetch(`${root}/_/fail-500/v1/models`)).status).toBe(500);
    expect((await fetch(`${root}/_/fail-500/v1/models`)).status).toBe(500);
    const base = `${root}/_/fail-503=2+key=${unique()}`;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await post(`${base}/v1/completions`, { prompt: 'a', max_tokens: 1 })).status);
    expect(statuses).toEqual([503, 503, 200]);
    expect((await fetch(`${base}/v1/models`)).status).toBe(503); // separate counter per endpoint
  });

  it('latency delays the answer', async () => {
    const started = performance.now();
    expect((await fetch(`${root}/_/latency=150/health`)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('capacity serves C requests at once at a fixed latency and queues the rest', async () => {
    const key = unique();
    const base = `${root}/_/capacity=4+latency=150+key=${key}`;
    const started = performance.now();
    const statuses = await Promise.all(
      Array.from(
        { length: 8 },
        async () => (await post(`${base}/v1/completions`, { prompt: 'a', max_tokens: 1 })).status,
      ),
    );
    const elapsed = performance.now() - started;
    expect(statuses).toEqual(Array(8).fill(200));
    // two waves of 150 ms: the second four waited for a slot
    expect(elapsed).toBeGreaterThanOrEqual(290);
    // the tokenizer holds no slot and pays no service time
    const tokStarted = performance.now();
    expect((await post(`${base}/tokenize`, { prompt: 'a' })).status).toBe(200);
    expect(performance.now() - tokStarted).toBeLessThan(140);
    const stats = (
      (await (await fetch(`${root}/_fixture/capacity`)).json()) as Record<string, Record<string, unknown>>
    )[key];
    expect(stats).toMatchObject({
      capacity: 4,
      served: 8,
      peakRunning: 4,
      peakQueued: 4,
      peakTotal: 8,
      rejected: 0,
    });
  });

  it('capacity with a full queue refuses with 429 (or 503) and Retry-After', async () => {
    const holdSlot = async (key: string): Promise<void> => {
      for (;;) {
        const all = (await (await fetch(`${root}/_fixture/capacity`)).json()) as Record<
          string,
          { running: number }
        >;
        if ((all[key]?.running ?? 0) > 0) return;
      }
    };
    for (const [overload, status] of [
      ['', 429],
      ['+overload=503', 503],
    ] as const) {
      const key = unique();
      const base = `${root}/_/capacity=1+queue=0+latency=300${overload}+key=${key}`;
      const first = post(`${base}/v1/completions`, { prompt: 'a', max_tokens: 1 });
      await holdSlot(key);
      const refused = await post(`${base}/v1/completions`, { prompt: 'b', max_tokens: 1 });
      expect(refused.status).toBe(status);
      expect(refused.headers.get('retry-after')).toBe('0');
      expect((await first).status).toBe(200);
    }
  });

  it('hang never answers until the client aborts, and the server keeps serving', async () => {
    const res = post(`${root}/_/hang/v1/completions`, { prompt: 'x' }, AbortSignal.timeout(300));
    await expect(res).rejects.toThrow();
    expect((await fetch(`${root}/health`)).status).toBe(200);
  });

  it('strict-model and unknown switches are rejected like vLLM would', async () => {
    expect(
      (await post(`${root}/_/strict-model/v1/completions`, { model: 'other', prompt: 'x', max_tokens: 1 }))
        .status,
    ).toBe(404);
    expect(
      (await post(`${root}/_/strict-model/v1/completions`, { model: 'fixture', prompt: 'x', max_tokens: 1 }))
        .status,
    ).toBe(200);
    expect((await fetch(`${root}/_/explode/v1/models`)).status).toBe(400);
  });
});

describe('fixture model server: CLI', () => {
  let child: ReturnType<typeof spawn> | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it('prints its URL as one JSON line and applies global switch flags', async () => {
    const main = fileURLToPath(new URL('../src/fixture-model/main.ts', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', main, '--port', '0', '--chat-only'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    const [line] = (await once(lines, 'line')) as [string];
    const { url } = JSON.parse(line) as { url: string };
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    expect((await post(`${url}/v1/completions`, { prompt: 'x', max_tokens: 1 })).status).toBe(404);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
