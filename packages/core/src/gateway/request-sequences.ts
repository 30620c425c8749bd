/**
 * How many sequences an inference request asks a model server to run: what one request weighs in the
 * server's concurrency limit. A completion's `prompt` given as a list of strings or of token id
 * lists is a batch (lm-eval's `batch_size`), one sequence per prompt; so are an embedding's inputs.
 * A chat completion, a single prompt (a string or one token id list) and anything unparsed count one.
 */
export function sequencesOf(path: string, body: Record<string, unknown> | undefined): number {
  if (!body || path.endsWith('/chat/completions')) return 1;
  const input = body[path.endsWith('/embeddings') ? 'input' : 'prompt'];
  if (!Array.isArray(input) || input.length === 0) return 1;
  return input.every((x) => typeof x === 'number') ? 1 : input.length;
}
