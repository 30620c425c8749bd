/** JSON text checks the body reader runs: where a syntax error is, how deep a value nests, invalid UTF-8. */

/** Where a JSON text stops being valid: offset (0-based), line and column (1-based) and what was found. */
export interface JsonSyntaxProblem {
  position: number;
  line: number;
  column: number;
  message: string;
}

/**
 * Finds the first syntax error of a JSON text with a small recursive-descent scan. Only used after
 * `JSON.parse` has failed, to tell the client exactly where (V8's messages do not always say).
 */
export function locateJsonError(text: string): JsonSyntaxProblem | undefined {
  let i = 0;
  class Stop extends Error {
    constructor(
      readonly at: number,
      readonly why: string,
    ) {
      super(why);
    }
  }
  const describe = (at: number): string => (at >= text.length ? 'the end of the body' : `'${text[at]}'`);
  const fail = (why: string, at = i): never => {
    throw new Stop(at, why);
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r'))
      i++;
  };
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++) {
      if (text[i + k] !== word[k]) fail(`Unexpected ${describe(i + k)}; expected '${word}'`, i + k);
    }
    i += word.length;
  };
  const string = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('Unterminated string');
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        i++;
        return;
      }
      if (ch < 0x20) fail('Control character inside a string (escape it, e.g. \\n)');
      if (ch === 0x5c) {
        const next = text[i + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('Invalid \\u escape', i);
          i += 6;
          continue;
        }
        if (next === undefined || !'"\\/bfnrt'.includes(next)) fail('Invalid escape sequence', i);
        i += 2;
        continue;
      }
      i++;
    }
  };
  const number = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '-' || m[0] === '') fail(`Unexpected ${describe(i)}; expected a value`);
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 1000) fail('Nested too deeply');
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`Unexpected ${describe(i)}; expected a property name in double quotes`);
        string();
        ws();
        if (text[i] !== ':') fail(`Unexpected ${describe(i)}; expected ':'`);
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(`Unexpected ${describe(i)}; expected ',' or '}'`);
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(`Unexpected ${describe(i)}; expected ',' or ']'`);
      }
    }
    if (ch === '"') return string();
    if (ch === 't') return literal('true');
    if (ch === 'f') return literal('false');
    if (ch === 'n') return literal('null');
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return number();
    fail(`Unexpected ${describe(i)}; expected a value`);
  };
  try {
    value(0);
    ws();
    if (i < text.length) fail(`Unexpected ${describe(i)} after the JSON value`);
    return undefined;
  } catch (err) {
    if (!(err instanceof Stop)) throw err;
    const before = text.slice(0, err.at);
    const line = before.split('\n').length;
    const column = err.at - before.lastIndexOf('\n');
    return { position: err.at, line, column, message: err.why };
  }
}

/** A key as a JSON pointer segment (RFC 6901). */
const escape = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Deepest nesting of arrays and objects a request body may have (a benchmark config needs a few). */
export const MAX_JSON_DEPTH = 64;

/**
 * The JSON pointer of the first value nested deeper than `maxDepth` (the top level is depth 1), or
 * undefined. Walks with an explicit stack: a body nested thousands of levels deep must not overflow
 * the call stack here (or later, in structuredClone).
 */
export function findTooDeep(value: unknown, maxDepth: number): string | undefined {
  const stack: { value: unknown; pointer: string; depth: number }[] = [{ value, pointer: '', depth: 1 }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (top.value === null || typeof top.value !== 'object') continue;
    if (top.depth > maxDepth) return top.pointer;
    const entries = Array.isArray(top.value)
      ? top.value.map((v, i) => [String(i), v] as const)
      : Object.entries(top.value);
    for (let k = entries.length - 1; k >= 0; k--) {
      const [key, v] = entries[k]!;
      if (v !== null && typeof v === 'object')
        stack.push({ value: v, pointer: `${top.pointer}/${escape(key)}`, depth: top.depth + 1 });
    }
  }
  return undefined;
}

/** Byte offset of the first byte that is not part of a well-formed UTF-8 sequence, or undefined. */
export function findInvalidUtf8(bytes: Uint8Array): number | undefined {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return undefined;
}

/**
 * The JSON pointer of the string (a value, or a key: then the member it names) that holds the
 * invalid byte at offset `at`, or '' when the byte is outside any string or the body is not JSON.
 * The byte is replaced by a character the rest of the body does not contain, the text parsed, and
 * the first string holding that character wins.
 */
export function pointerOfByte(bytes: Buffer, at: number): string {
  const before = bytes.subarray(0, at).toString('utf8');
  const after = bytes.subarray(at + 1).toString('utf8');
  // A private-use character (never meaningful in a request) the body does not contain: one pass.
  const used = new Set<number>();
  for (const part of [before, after])
    for (let i = 0; i < part.length; i++) {
      const c = part.charCodeAt(i);
      if (c >= 0xe000 && c <= 0xf8ff) used.add(c);
    }
  let code = 0xe000;
  while (used.has(code)) code++;
  if (code > 0xf8ff) return '';
  const mark = String.fromCharCode(code);
  let value: unknown;
  try {
    value = JSON.parse(before + mark + after);
  } catch {
    return '';
  }
  const stack: { value: unknown; pointer: string }[] = [{ value, pointer: '' }];
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (typeof top.value === 'string' && top.value.includes(mark)) return top.pointer;
    if (top.value === null || typeof top.value !== 'object') continue;
    const entries = Array.isArray(top.value)
      ? top.value.map((v, i) => [String(i), v] as const)
      : Object.entries(top.value);
    for (let k = entries.length - 1; k >= 0; k--) {
      const [key, v] = entries[k]!;
      const pointer = `${top.pointer}/${escape(key)}`;
      if (key.includes(mark)) return pointer.replaceAll(mark, '\uFFFD');
      stack.push({ value: v, pointer });
    }
  }
  return '';
}
