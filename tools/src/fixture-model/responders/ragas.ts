/**
 * Deterministic answers to RAGAS's structured judge prompts (ragas 0.4.x, both the
 * `metrics.collections` prompts and the legacy ones: both end in `input: {json}\nOutput: `).
 *
 * Rules (exported so tests can compute the scores they imply):
 * - statement generation (faithfulness) and claim decomposition (factual correctness):
 *   the answer split into sentences (`splitSentences`);
 * - NLI verdicts (faithfulness, factual correctness): verdict 1 iff every content word of the
 *   statement occurs in the context (`isSupported`);
 * - context recall classification: the reference's sentences, attributed iff supported by the context;
 * - context precision verdict: 1 iff at least one content word of the answer occurs in the context.
 * Any other prompt is left to the next responder.
 */
import type { JsonValue } from '../json-schema.js';
import type { ChatReply, ChatRequest, ChatResponder } from './types.js';

/** Words that carry no content for the support rule. */
const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or but if then than so of in on at to for from by with without about into onto over under ' +
    'is are was were be been being am do does did has have had having it its this that these those there ' +
    'their they them he she his her him we our you your i me my as not no yes also very can could will would ' +
    'should may might must shall which who whom whose what when where why how all any each both some such ' +
    'only own same too just s t'
  ).split(/\s+/),
);

/** Sentences of a text: split after `.`, `!` or `?` followed by white space; trimmed, empties dropped. */
function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Lower-cased alphanumeric words of a text. */
function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
}

/** Words of a text that are not stop words. */
function contentWords(text: string): string[] {
  return words(text).filter((w) => !STOP_WORDS.has(w));
}

/** True iff every content word of `statement` occurs as a word of `context`. */
function isSupported(statement: string, context: string): boolean {
  const vocabulary = new Set(words(context));
  return contentWords(statement).every((w) => vocabulary.has(w));
}

/** The faithfulness score these rules imply for one row (NaN when the answer has no sentence). */
export function impliedFaithfulness(response: string, retrievedContexts: readonly string[]): number {
  const statements = splitSentences(response);
  if (statements.length === 0) return Number.NaN;
  const context = retrievedContexts.join('\n');
  return statements.filter((s) => isSupported(s, context)).length / statements.length;
}

type Json = Record<string, unknown>;

/** The JSON object after the last `input: ` of a RAGAS prompt, or undefined. */
function ragasPromptInput(prompt: string): Json | undefined {
  const start = prompt.lastIndexOf('input: {');
  if (start < 0) return undefined;
  const end = prompt.lastIndexOf('\nOutput:');
  const text = prompt.slice(start + 'input: '.length, end > start ? end : undefined).trim();
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const strList = (value: unknown): string[] => (Array.isArray(value) ? value.map(str) : []);

interface Rule {
  /** A phrase that starts the prompt's instruction. */
  instruction: string;
  answer(input: Json): JsonValue;
}

const RULES: readonly Rule[] = [
  {
    // faithfulness step 1
    instruction: 'Given a question and an answer, analyze the complexity of each sentence',
    answer: (input) => ({ statements: splitSentences(str(input.answer)) }),
  },
  {
    // faithfulness step 2 and factual correctness NLI
    instruction: 'Your task is to judge the faithfulness of a series of statements',
    answer: (input) => {
      const context = str(input.context);
      return {
        statements: strList(input.statements).map((statement) => {
          const verdict = isSupported(statement, context) ? 1 : 0;
          return {
            statement,
            reason: verdict
              ? 'Every content word occurs in the context.'
              : 'Some content words are not in the context.',
            verdict,
          };
        }),
      };
    },
  },
  {
    // factual correctness step 1
    instruction: 'Decompose and break down each of the input sentences',
    answer: (input) => ({ claims: splitSentences(str(input.response)) }),
  },
  {
    // context recall
    instruction: 'Given a context and an answer, analyze each statement in the answer',
    answer: (input) => {
      const context = str(input.context);
      return {
        classifications: splitSentences(str(input.answer)).map((statement) => {
          const attributed = isSupported(statement, context) ? 1 : 0;
          return {
            statement,
            reason: attributed ? 'Found in the context.' : 'Not in the context.',
            attributed,
          };
        }),
      };
    },
  },
  {
    // context precision
    instruction: 'Given question, answer and context verify if the context was useful',
    answer: (input) => {
      const vocabulary = new Set(words(str(input.context)));
      const verdict = contentWords(str(input.answer)).some((w) => vocabulary.has(w)) ? 1 : 0;
      return {
        reason: verdict ? 'The context shares content with the answer.' : 'No shared content.',
        verdict,
      };
    },
  },
];

/** Answers RAGAS prompts found in any user message (instructor's MD_JSON mode appends its own). */
export const ragasResponder: ChatResponder = (request: ChatRequest): ChatReply | undefined => {
  for (const message of [...request.messages].reverse()) {
    if (message.role !== 'user') continue;
    const rule = RULES.find((r) => message.content.trimStart().startsWith(r.instruction));
    if (!rule) continue;
    const input = ragasPromptInput(message.content);
    if (!input) return undefined;
    return { json: rule.answer(input) };
  }
  return undefined;
};
