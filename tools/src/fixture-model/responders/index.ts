/**
 * Chat responder registry. The server asks each responder in order; the first one that returns a
 * reply wins, and `defaultResponder` answers when none does.
 *
 * To register a responder: import it and add it to `chatResponders` (most specific first).
 */
import type { ChatResponder } from './types.js';
import { ragasResponder } from './ragas.js';

export const chatResponders: readonly ChatResponder[] = [ragasResponder];

export { defaultResponder } from './default.js';
export type { ChatMessageText, ChatReply, ChatRequest, ChatResponder } from './types.js';
