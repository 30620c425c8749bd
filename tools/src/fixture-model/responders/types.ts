import type { FixtureEngine, Generation } from '../engine.js';
import type { InstanceOptions, JsonSchema, JsonValue } from '../json-schema.js';

/** One chat message with its text content flattened to a string. */
export interface ChatMessageText {
  role: string;
  content: string;
}

/** What a chat responder sees: one choice of one `/v1/chat/completions` request. */
export interface ChatRequest {
  /** The request body as sent. */
  body: Readonly<Record<string, unknown>>;
  /** Served model name as requested (`body.model`, or the server's name). */
  model: string;
  messages: readonly ChatMessageText[];
  /** Content of the last `user` message ('' if none). */
  lastUser: string;
  /** Content of all `system` messages, joined by blank lines. */
  system: string;
  /** The messages rendered with the fixture chat template (the n-gram prompt). */
  prompt: string;
  /**
   * Structured output requested: `json_object` / `json_schema` response formats, or `markdown-json`
   * when no response_format is set but the prompt embeds an instructor JSON schema and asks for a
   * ```json block. `schema` is from the response format or, failing that, from the prompt.
   */
  json: { mode: 'json_object' | 'json_schema' | 'markdown-json'; schema: JsonSchema | undefined } | undefined;
  maxTokens: number;
  temperature: number;
  seed: number;
  stop: readonly string[];
  /** Index of the choice being produced (0..n-1). */
  choiceIndex: number;
  /** Helpers: the fixture LM and a schema instance generator. */
  engine: FixtureEngine;
  generate(prompt: string, options?: { maxTokens?: number; stop?: readonly string[] }): Generation;
  schemaInstance(schema: JsonSchema, options?: InstanceOptions): JsonValue;
}

/**
 * A responder's answer: a string (sent as the message content), a JSON value (serialised; for
 * `markdown-json` wrapped in a ```json block), or an object saying so explicitly.
 */
export type ChatReply = string | { content: string; finishReason?: 'stop' | 'length' } | { json: JsonValue };

/** A rule: answer the request, or return undefined to let the next rule try. */
export type ChatResponder = (request: ChatRequest) => ChatReply | undefined;
