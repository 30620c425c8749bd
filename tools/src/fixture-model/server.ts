/**
 * Deterministic vLLM-compatible fixture model server (node:http, no dependencies). It speaks the
 * OpenAI-compatible API as vLLM serves it, backed by a byte-level tokenizer and a character
 * n-gram LM, so clients (lm-eval, ragas, our providers) run against real HTTP with reproducible
 * answers. It is a test fixture, not a language model.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CHAT_TEMPLATE, applyChatTemplate, messageText } from './chat-template.js';
import { EMBEDDING_DIMENSION, embed, toBase64 } from './embeddings.js';
import { FixtureEngine } from './engine.js';
import type { TokenLogprob } from './engine.js';
import { extractPromptSchema, schemaInstance } from './json-schema.js';
import type { JsonSchema } from './json-schema.js';
import { NgramModel } from './ngram.js';
import { CapacityModel } from './capacity.js';
import type { CapacityPoolStats } from './capacity.js';
import { chatResponders, defaultResponder } from './responders/index.js';
import type { ChatMessageText, ChatReply, ChatRequest, ChatResponder } from './responders/index.js';
import { NO_SWITCHES, SwitchError, parseSwitches, splitSwitchPrefix } from './switches.js';
import type { Switches } from './switches.js';
import { EOS_TOKEN, decode, encode, isValidTokenId, textOffsets, tokenString } from './tokenizer.js';

/** pino-compatible subset; the fixture logs request failures only. */
export interface FixtureLogger {
  warn?(obj: object, msg?: string): void;
  error?(obj: object, msg?: string): void;
}

export interface FixtureModelServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (the OS picks a free port). */
  port?: number;
  /** Served model name (`/v1/models`). Default `fixture`. Requests may name any model unless `strict-model`. */
  modelName?: string;
  /** Context length in tokens (bytes). Default 32768. */
  maxModelLen?: number;
  /** Default `max_tokens` for completions and chat. Default 64. */
  defaultMaxTokens?: number;
  /** Switches applied to every request, e.g. `latency=20,no-prompt-logprobs`. */
  switches?: string;
  /** Extra chat responders tried before the registered ones. */
  responders?: readonly ChatResponder[];
  /** n-gram order of the LM. Default 6. */
  ngramOrder?: number;
  logger?: FixtureLogger;
}

export interface FixtureModelServer {
  /** Server root, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  url: string;
  /** OpenAI base URL: `${url}/v1`. */
  baseUrl: string;
  port: number;
  host: string;
  modelName: string;
  /** URL root with per-request switches, e.g. `withSwitches('fail-503=2,key=t1')` → `${url}/_/fail-503=2,key=t1`. */
  withSwitches(spec: string): string;
  /** Counters of the capacity pools by key (also served as `GET /_fixture/capacity`). */
  capacityStats(): Record<string, CapacityPoolStats>;
  close(): Promise<void>;
}

/** Fixed `created` timestamp so identical requests give identical bytes. */
const CREATED = 1_700_000_000;
const MAX_LOGPROBS = 20;
/** Routes that occupy a sequence slot under the `capacity` switch. */
const INFERENCE_ROUTES: ReadonlySet<string> = new Set([
  '/v1/completions',
  '/v1/chat/completions',
  '/v1/embeddings',
]);
const VERSION = '0.0.0-fixture';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = status === 404 ? 'NotFoundError' : 'BadRequestError',
  ) {
    super(message);
  }
}

const bad = (message: string): HttpError => new HttpError(400, message);

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendText(res, status, JSON.stringify(body));
}

function sendText(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

function sendError(res: ServerResponse, err: HttpError): void {
  if (err.status === 404 && err.type === 'RouteNotFound') {
    sendJson(res, 404, { detail: 'Not Found' }); // FastAPI's unknown-route body
    return;
  }
  sendJson(res, err.status, {
    error: { message: err.message, type: err.type, param: null, code: err.status },
  });
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad('request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw bad('request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

const optInt = (body: Record<string, unknown>, name: string, min: number, fallback: number): number => {
  const v = body[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw bad(`${name} must be an integer >= ${min}`);
  return v;
};

const optNumber = (body: Record<string, unknown>, name: string, fallback: number): number => {
  const v = body[name];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw bad(`${name} must be a non-negative number`);
  return v;
};

const stopList = (v: unknown): string[] => {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  throw bad('stop must be a string or a list of strings');
};

const requestId = (prefix: string, path: string, body: unknown): string =>
  `${prefix}-${createHash('sha256').update(path).update('\0').update(JSON.stringify(body)).digest('hex').slice(0, 24)}`;

/**
 * Sequences an inference request asks the server to run at once: a completion's prompts (a list of
 * strings or of token id lists is a batch), an embedding's inputs; a chat is one. Malformed input
 * counts one (the handler refuses it).
 */
function sequencesOf(path: string, body: unknown): number {
  if (body === null || typeof body !== 'object') return 1;
  const input = (body as Record<string, unknown>)[path.endsWith('/embeddings') ? 'input' : 'prompt'];
  if (path.endsWith('/chat/completions') || !Array.isArray(input) || input.length === 0) return 1;
  return input.every((x) => typeof x === 'number') ? 1 : input.length;
}

function tokenLists(input: unknown, field: string): number[][] {
  const checkIds = (ids: unknown[]): number[] => {
    if (!ids.every(isValidTokenId)) throw bad(`${field}: token ids must be integers in [0, 256]`);
    return ids as number[];
  };
  if (typeof input === 'string') return [encode(input)];
  if (Array.isArray(input)) {
    if (input.length === 0) throw bad(`${field} must not be empty`);
    if (input.every((x) => typeof x === 'string')) return (input as string[]).map(encode);
    if (input.every((x) => typeof x === 'number')) return [checkIds(input)];
    if (input.every((x) => Array.isArray(x))) return (input as unknown[][]).map(checkIds);
  }
  throw bad(`${field} must be a string, a list of strings, a token id list or a list of token id lists`);
}

interface Ctx {
  switches: Switches;
  segment: string | undefined;
}

export async function startFixtureModelServer(
  options: FixtureModelServerOptions = {},
): Promise<FixtureModelServer> {
  const host = options.host ?? '127.0.0.1';
  const modelName = options.modelName ?? 'fixture';
  const maxModelLen = options.maxModelLen ?? 32_768;
  const defaultMaxTokens = options.defaultMaxTokens ?? 64;
  const globalSwitches = parseSwitches(options.switches ?? '', NO_SWITCHES);
  const responders: readonly ChatResponder[] = [...(options.responders ?? []), ...chatResponders];
  const engine = new FixtureEngine(
    new NgramModel(options.ngramOrder !== undefined ? { order: options.ngramOrder } : {}),
  );
  const fail503Counts = new Map<string, number>();
  const capacity = new CapacityModel();
  const logger = options.logger;

  const servedModel = (body: Record<string, unknown>, ctx: Ctx): string => {
    const requested = body['model'];
    if (requested === undefined || requested === null) return modelName;
    if (typeof requested !== 'string') throw bad('model must be a string');
    if (ctx.switches.strictModel && requested !== modelName) {
      throw new HttpError(404, `The model \`${requested}\` does not exist.`);
    }
    return requested;
  };

  const checkLength = (promptLen: number, maxTokens: number): void => {
    if (promptLen + maxTokens > maxModelLen) {
      throw bad(
        `This model's maximum context length is ${maxModelLen} tokens. However, you requested ` +
          `${promptLen + maxTokens} tokens (${promptLen} in the messages, ${maxTokens} in the completion). ` +
          'Please reduce the length of the messages or completion.',
      );
    }
  };

  const logprobsBlock = (
    entries: ({ tokenLp: TokenLogprob } | { id: number; first: true })[],
    startOffset: number,
  ): Record<string, unknown> => {
    const ids = entries.map((e) => ('tokenLp' in e ? e.tokenLp.id : e.id));
    return {
      tokens: ids.map(tokenString),
      token_logprobs: entries.map((e) => ('tokenLp' in e ? e.tokenLp.logprob : null)),
      top_logprobs: entries.map((e) => ('tokenLp' in e ? e.tokenLp.top : null)),
      text_offset: textOffsets(ids, startOffset),
    };
  };

  const completions = (body: Record<string, unknown>, ctx: Ctx, path: string): unknown => {
    if (ctx.switches.chatOnly) throw new HttpError(404, 'Not Found', 'RouteNotFound');
    const model = servedModel(body, ctx);
    if (body['stream'] === true) throw bad('stream is not supported by the fixture model server');
    const prompts = tokenLists(body['prompt'], 'prompt');
    const maxTokens = optInt(body, 'max_tokens', 0, defaultMaxTokens);
    const n = optInt(body, 'n', 1, 1);
    const echo = body['echo'] === true;
    const temperature = optNumber(body, 'temperature', 1);
    const seed = optInt(body, 'seed', -(2 ** 53), 0);
    const stop = stopList(body['stop']);
    const lp = body['logprobs'];
    if (lp !== undefined && lp !== null && (typeof lp !== 'number' || !Number.isInteger(lp) || lp < 0)) {
      throw bad('logprobs must be a non-negative integer');
    }
    const logprobs = typeof lp === 'number' ? lp : undefined;
    if (logprobs !== undefined && logprobs > MAX_LOGPROBS)
      throw bad(`logprobs must be at most ${MAX_LOGPROBS}`);
    if (maxTokens === 0 && !echo) throw bad('max_tokens must be at least 1 unless echo is set');
    const choices: unknown[] = [];
    let promptTokens = 0;
    let completionTokens = 0;
    prompts.forEach((promptIds, p) => {
      if (promptIds.length === 0) throw bad('prompt must contain at least one token');
      checkLength(promptIds.length, maxTokens);
      promptTokens += promptIds.length;
      const promptText = decode(promptIds);
      for (let j = 0; j < n; j++) {
        const gen = engine.generate(promptIds, {
          maxTokens,
          temperature,
          seed: seed + 7919 * (p * n + j),
          stop,
          ignoreEos: body['ignore_eos'] === true,
          logprobs,
        });
        completionTokens += gen.ids.length;
        let block: Record<string, unknown> | null = null;
        if (logprobs !== undefined) {
          const genEntries = gen.logprobs.map((tokenLp) => ({ tokenLp }));
          if (echo && !ctx.switches.noPromptLogprobs) {
            const promptEntries = promptIds.map((id, i) =>
              i === 0
                ? { id, first: true as const }
                : { tokenLp: engine.tokenLogprob(promptIds, i, logprobs) },
            );
            block = logprobsBlock([...promptEntries, ...genEntries], 0);
          } else {
            block = logprobsBlock(genEntries, echo ? promptText.length : 0);
          }
        }
        choices.push({
          index: p * n + j,
          text: echo ? promptText + gen.text : gen.text,
          logprobs: block,
          finish_reason: gen.finishReason,
          stop_reason: gen.stopReason,
          prompt_logprobs: null,
        });
      }
    });
    return {
      id: requestId('cmpl', path, body),
      object: 'text_completion',
      created: CREATED,
      model,
      choices,
      usage: {
        prompt_tokens: promptTokens,
        total_tokens: promptTokens + completionTokens,
        completion_tokens: completionTokens,
      },
    };
  };

  const chatMessages = (body: Record<string, unknown>): ChatMessageText[] => {
    const raw = body['messages'];
    if (!Array.isArray(raw) || raw.length === 0) throw bad('messages must be a non-empty list');
    return raw.map((m: unknown) => {
      if (typeof m !== 'object' || m === null || typeof (m as { role?: unknown }).role !== 'string') {
        throw bad('each message needs a role');
      }
      const msg = m as { role: string; content?: unknown };
      return { role: msg.role, content: messageText(msg.content) };
    });
  };

  const responseFormat = (
    body: Record<string, unknown>,
    messages: readonly ChatMessageText[],
  ): ChatRequest['json'] => {
    const rf = body['response_format'];
    const promptSchema = (): JsonSchema | undefined => {
      for (const m of messages) {
        const schema = extractPromptSchema(m.content);
        if (schema) return schema;
      }
      return undefined;
    };
    if (rf === undefined || rf === null) {
      const schema = promptSchema();
      const asksForBlock = messages.some((m) => /```json/i.test(m.content));
      return schema && asksForBlock ? { mode: 'markdown-json', schema } : undefined;
    }
    if (typeof rf !== 'object' || Array.isArray(rf)) throw bad('response_format must be an object');
    const f = rf as Record<string, unknown>;
    if (f['type'] === 'text') return undefined;
    if (f['type'] === 'json_object') {
      const schema = f['schema'];
      return {
        mode: 'json_object',
        schema: typeof schema === 'object' && schema !== null ? (schema as JsonSchema) : promptSchema(),
      };
    }
    if (f['type'] === 'json_schema') {
      const js = f['json_schema'];
      const schema =
        typeof js === 'object' && js !== null ? (js as Record<string, unknown>)['schema'] : undefined;
      if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
        throw bad('response_format.json_schema.schema must be a JSON schema object');
      }
      return { mode: 'json_schema', schema: schema as JsonSchema };
    }
    throw bad(`response_format.type must be one of text, json_object, json_schema`);
  };

  const chat = (body: Record<string, unknown>, ctx: Ctx, path: string): unknown => {
    const model = servedModel(body, ctx);
    if (body['stream'] === true) throw bad('stream is not supported by the fixture model server');
    const messages = chatMessages(body);
    const json = responseFormat(body, messages);
    const maxTokens =
      body['max_completion_tokens'] !== undefined && body['max_completion_tokens'] !== null
        ? optInt(body, 'max_completion_tokens', 1, defaultMaxTokens)
        : optInt(body, 'max_tokens', 1, defaultMaxTokens);
    const n = optInt(body, 'n', 1, 1);
    const temperature = optNumber(body, 'temperature', 1);
    const seed = optInt(body, 'seed', -(2 ** 53), 0);
    const stop = stopList(body['stop']);
    const addGenerationPrompt = body['add_generation_prompt'] !== false;
    const prompt = applyChatTemplate(messages, addGenerationPrompt);
    const promptIds = encode(prompt);
    checkLength(promptIds.length, json ? 0 : maxTokens);
    const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const system = messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n');
    const choices: unknown[] = [];
    let completionTokens = 0;
    for (let j = 0; j < n; j++) {
      const choiceSeed = seed + 7919 * j;
      const request: ChatRequest = {
        body,
        model,
        messages,
        lastUser,
        system,
        prompt,
        json,
        maxTokens,
        temperature,
        seed: choiceSeed,
        stop,
        choiceIndex: j,
        engine,
        generate: (text, o = {}) =>
          engine.generate(encode(text), {
            maxTokens: o.maxTokens ?? maxTokens,
            temperature,
            seed: choiceSeed,
            stop: o.stop ?? stop,
          }),
        schemaInstance: (schema, o) => schemaInstance(schema, o),
      };
      let reply: ChatReply | undefined;
      for (const responder of responders) {
        reply = responder(request);
        if (reply !== undefined) break;
      }
      reply ??= defaultResponder(request);
      let content: string;
      let finishReason: 'stop' | 'length' = 'stop';
      if (typeof reply === 'string') content = reply;
      else if ('json' in reply) {
        const text = JSON.stringify(reply.json);
        content = json?.mode === 'markdown-json' ? `\`\`\`json\n${text}\n\`\`\`` : text;
      } else {
        content = reply.content;
        finishReason = reply.finishReason ?? 'stop';
      }
      completionTokens += encode(content).length;
      choices.push({
        index: j,
        message: { role: 'assistant', content, tool_calls: [] },
        logprobs: null,
        finish_reason: finishReason,
        stop_reason: null,
      });
    }
    return {
      id: requestId('chatcmpl', path, body),
      object: 'chat.completion',
      created: CREATED,
      model,
      choices,
      usage: {
        prompt_tokens: promptIds.length,
        total_tokens: promptIds.length + completionTokens,
        completion_tokens: completionTokens,
      },
    };
  };

  const embeddings = (body: Record<string, unknown>, ctx: Ctx, path: string): unknown => {
    const model = servedModel(body, ctx);
    const input = body['input'];
    let texts: string[];
    if (typeof input === 'string') texts = [input];
    else if (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === 'string'))
      texts = input as string[];
    else texts = tokenLists(input, 'input').map(decode);
    const dimension = optInt(body, 'dimensions', 1, EMBEDDING_DIMENSION);
    if (dimension > 4096) throw bad('dimensions must be at most 4096');
    const format = body['encoding_format'] ?? 'float';
    if (format !== 'float' && format !== 'base64') throw bad('encoding_format must be float or base64');
    let tokens = 0;
    const data = texts.map((text, index) => {
      tokens += encode(text).length;
      const vector = embed(text, dimension);
      return { index, object: 'embedding', embedding: format === 'base64' ? toBase64(vector) : vector };
    });
    return {
      id: requestId('embd', path, body),
      object: 'list',
      created: CREATED,
      model,
      data,
      usage: { prompt_tokens: tokens, total_tokens: tokens, completion_tokens: 0 },
    };
  };

  const tokenize = (body: Record<string, unknown>): unknown => {
    let text: string;
    if (body['messages'] !== undefined) {
      text = applyChatTemplate(chatMessages(body), body['add_generation_prompt'] !== false);
    } else if (typeof body['prompt'] === 'string') {
      text = body['prompt'];
    } else {
      throw bad('tokenize needs prompt (string) or messages');
    }
    const tokens = encode(text);
    return {
      count: tokens.length,
      max_model_len: maxModelLen,
      tokens,
      token_strs: body['return_token_strs'] === true ? tokens.map(tokenString) : null,
    };
  };

  const detokenize = (body: Record<string, unknown>): unknown => {
    const tokens = body['tokens'];
    if (!Array.isArray(tokens) || !tokens.every(isValidTokenId))
      throw bad('tokens must be a list of token ids in [0, 256]');
    return { prompt: decode(tokens) };
  };

  const tokenizerInfo = (): unknown => ({
    tokenizer_class: 'FixtureByteTokenizer',
    eos_token: EOS_TOKEN,
    bos_token: null,
    pad_token: EOS_TOKEN,
    unk_token: null,
    chat_template: CHAT_TEMPLATE,
    model_max_length: maxModelLen,
    vocab_size: 257,
    add_bos_token: false,
    add_eos_token: false,
  });

  const models = (): unknown => ({
    object: 'list',
    data: [
      {
        id: modelName,
        object: 'model',
        created: CREATED,
        owned_by: 'evalhub-fixture',
        root: modelName,
        parent: null,
        max_model_len: maxModelLen,
        permission: [],
      },
    ],
  });

  type Handler = (body: Record<string, unknown>, ctx: Ctx, path: string) => unknown;
  const routes: Record<string, { method: 'GET' | 'POST'; handler: Handler }> = {
    '/v1/models': { method: 'GET', handler: models },
    '/v1/completions': { method: 'POST', handler: completions },
    '/v1/chat/completions': { method: 'POST', handler: chat },
    '/v1/embeddings': { method: 'POST', handler: embeddings },
    '/tokenize': { method: 'POST', handler: tokenize },
    '/detokenize': { method: 'POST', handler: detokenize },
    '/tokenizer_info': { method: 'GET', handler: tokenizerInfo },
    '/version': { method: 'GET', handler: () => ({ version: VERSION }) },
  };

  const waitOrAbort = (ms: number, res: ServerResponse): Promise<boolean> =>
    new Promise((resolve) => {
      const onClose = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        res.off('close', onClose);
        resolve(true);
      }, ms);
      res.once('close', onClose);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fixture.invalid');
    const { segment, path } = splitSwitchPrefix(url.pathname);
    let switches: Switches;
    try {
      switches = segment === undefined ? globalSwitches : parseSwitches(segment, globalSwitches);
    } catch (err) {
      if (err instanceof SwitchError) return sendError(res, bad(err.message));
      throw err;
    }
    const ctx: Ctx = { switches, segment };
    const body = req.method === 'POST' ? await readBody(req) : {};
    if (path === '/_fixture/capacity' && req.method === 'GET') return sendJson(res, 200, capacity.stats());
    if (switches.hang) return; // the request stays open until the client or close() ends it
    let service: Promise<boolean> | undefined;
    if (switches.capacity > 0) {
      // continuous batching: only inference holds a sequence slot; tokenizer and model routes answer at once
      // an engine's probe (lm-eval's preflight through the hub, marked x-evalhub-probe) is not part
      // of the run's request phase: it is answered at once, outside the pool's counters
      if (
        INFERENCE_ROUTES.has(path) &&
        req.method === 'POST' &&
        req.headers['x-evalhub-probe'] === undefined
      ) {
        const gone = new AbortController();
        res.once('close', () => gone.abort());
        const poolKey = switches.key ?? segment ?? '(global)';
        const admission = await capacity.acquire(
          poolKey,
          switches.capacity,
          switches.queueLimit,
          gone.signal,
          sequencesOf(path, body),
        );
        if (admission === 'aborted') return;
        if (admission === 'full') {
          res.setHeader('retry-after', '0');
          return sendError(
            res,
            new HttpError(
              switches.overloadStatus,
              `fixture: at capacity (${switches.capacity} in service, ${switches.queueLimit ?? 0} waiting)`,
              switches.overloadStatus === 429 ? 'TooManyRequestsError' : 'ServiceUnavailableError',
            ),
          );
        }
        res.once('finish', admission.release);
        res.once('close', admission.release);
        // the service time includes the fixture's own computing (as a server's latency includes its
        // forward pass): the answer is made while the clock runs and sent when it has run out
        if (switches.latencyMs > 0) service = waitOrAbort(switches.latencyMs * admission.waves, res);
      }
    } else if (switches.latencyMs > 0 && !(await waitOrAbort(switches.latencyMs, res))) return;
    try {
      const reply = answer(req, res, switches, segment, path, body, ctx);
      if (service && !(await service)) return;
      reply();
    } catch (err) {
      if (service && !(await service)) return;
      throw err;
    }
  };

  /** What to send for a request past its switches' waiting: a function that sends it. */
  const answer = (
    req: IncomingMessage,
    res: ServerResponse,
    switches: Switches,
    segment: string | undefined,
    path: string,
    body: Record<string, unknown>,
    ctx: Ctx,
  ): (() => void) => {
    if (switches.fail500) {
      return () =>
        sendError(res, new HttpError(500, 'fixture: injected internal server error', 'InternalServerError'));
    }
    if (switches.fail503 > 0) {
      const key = `${switches.key ?? segment ?? '(global)'} ${req.method} ${path}`;
      const seen = fail503Counts.get(key) ?? 0;
      fail503Counts.set(key, seen + 1);
      if (seen < switches.fail503) {
        return () => {
          res.setHeader('retry-after', '0');
          sendError(
            res,
            new HttpError(
              503,
              `fixture: injected transient failure ${seen + 1}/${switches.fail503}`,
              'ServiceUnavailableError',
            ),
          );
        };
      }
    }
    if (path === '/health') {
      return () => {
        res.writeHead(200, { 'content-length': 0 });
        res.end();
      };
    }
    const route = routes[path];
    if (!route) return () => sendError(res, new HttpError(404, 'Not Found', 'RouteNotFound'));
    if (req.method !== route.method) return () => sendJson(res, 405, { detail: 'Method Not Allowed' });
    const text = JSON.stringify(route.handler(body, ctx, path));
    return () => sendText(res, 200, text);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) return sendError(res, err);
      logger?.error?.({ err, url: req.url }, 'fixture model server: request failed');
      if (!res.headersSent) sendError(res, new HttpError(500, String(err), 'InternalServerError'));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    baseUrl: `${url}/v1`,
    port: address.port,
    host: address.address,
    modelName,
    withSwitches: (spec) =>
      `${url}/_/${encodeURIComponent(spec).replace(/%2C/gi, ',').replace(/%2B/gi, '+').replace(/%3D/gi, '=')}`,
    capacityStats: () => capacity.stats(),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
