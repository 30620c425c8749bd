/**
 * Byte-level tokenizer of the fixture model: token id = byte value (0..255) plus one special
 * end-of-sequence token. The literal text `</s>` is recognised as EOS when tokenizing, as
 * Hugging Face tokenizers recognise their special tokens, so clients that look up the EOS id by
 * tokenizing the EOS string (lm-eval's remote tokenizer) get the right id.
 */

export const EOS_ID = 256;
export const EOS_TOKEN = '</s>';
export const VOCAB_SIZE = 257;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Text → token ids. */
export function encode(text: string): number[] {
  const ids: number[] = [];
  const parts = text.split(EOS_TOKEN);
  parts.forEach((part, i) => {
    if (i > 0) ids.push(EOS_ID);
    for (const b of encoder.encode(part)) ids.push(b);
  });
  return ids;
}

/** Token ids → text. Invalid UTF-8 sequences decode to U+FFFD. */
export function decode(ids: readonly number[]): string {
  let out = '';
  let run: number[] = [];
  const flush = (): void => {
    if (run.length > 0) out += decoder.decode(Uint8Array.from(run));
    run = [];
  };
  for (const id of ids) {
    if (id === EOS_ID) {
      flush();
      out += EOS_TOKEN;
    } else {
      run.push(id);
    }
  }
  flush();
  return out;
}

export function isValidTokenId(id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < VOCAB_SIZE;
}

/**
 * Display string of one token, as servers report it in `logprobs.tokens` / `top_logprobs` keys.
 * Printable ASCII bytes are themselves; other bytes are `<0xHH>` (unique per id); EOS is `</s>`.
 */
export function tokenString(id: number): string {
  if (id === EOS_ID) return EOS_TOKEN;
  if ((id >= 0x20 && id < 0x7f) || id === 0x0a || id === 0x09 || id === 0x0d) return String.fromCharCode(id);
  return `<0x${id.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/**
 * Character offsets (UTF-16 units into `decode(ids)`) at which each token starts, as `text_offset`.
 * Continuation bytes of a multi-byte character share the offset of the character they belong to.
 */
export function textOffsets(ids: readonly number[], start = 0): number[] {
  const offsets: number[] = [];
  let pos = start;
  let pending = 0; // continuation bytes still expected for the current character
  let width = 0; // UTF-16 width of the current character
  for (const id of ids) {
    if (id === EOS_ID) {
      if (pending > 0) pos += 1; // truncated sequence decodes to one U+FFFD
      pending = 0;
      offsets.push(pos);
      pos += EOS_TOKEN.length;
      continue;
    }
    if (pending > 0 && (id & 0xc0) === 0x80) {
      offsets.push(pos);
      pending -= 1;
      if (pending === 0) pos += width;
      continue;
    }
    if (pending > 0) pos += 1; // interrupted sequence → one U+FFFD
    pending = 0;
    offsets.push(pos);
    if (id < 0x80) pos += 1;
    else if ((id & 0xe0) === 0xc0) [pending, width] = [1, 1];
    else if ((id & 0xf0) === 0xe0) [pending, width] = [2, 1];
    else if ((id & 0xf8) === 0xf0) [pending, width] = [3, 2];
    else pos += 1;
  }
  return offsets;
}
