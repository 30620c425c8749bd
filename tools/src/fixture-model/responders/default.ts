import type { ChatReply, ChatRequest } from './types.js';

/**
 * Fallback when no registered responder answers: structured modes get a deterministic instance
 * of the schema (`{}` without a schema); plain chat gets greedy/seeded n-gram text.
 */
export function defaultResponder(request: ChatRequest): ChatReply {
  if (request.json) {
    return { json: request.json.schema ? request.schemaInstance(request.json.schema) : {} };
  }
  const generation = request.generate(request.prompt);
  return { content: generation.text, finishReason: generation.finishReason };
}
