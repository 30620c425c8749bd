/**
 * Deterministic text embeddings: a hashed bag of words and character trigrams (signed feature
 * hashing), L2-normalised. Texts sharing words get a high cosine similarity; unrelated texts
 * a low one. Not a semantic model: paraphrases with no shared words score low.
 */

export const EMBEDDING_DIMENSION = 256;

function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function features(text: string): string[] {
  const words =
    text
      .toLowerCase()
      .normalize('NFKC')
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  const out: string[] = [];
  for (const word of words) {
    out.push(`w:${word}`, `w:${word}`); // words weigh twice as much as one trigram
    const padded = ` ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++) out.push(`c:${padded.slice(i, i + 3)}`);
  }
  return out;
}

/** Embedding vector of `text`, length `dimension`, unit L2 norm. */
export function embed(text: string, dimension: number = EMBEDDING_DIMENSION): number[] {
  const vec = new Float64Array(dimension);
  for (const feature of features(text)) {
    const h = fnv1a(feature);
    vec[h % dimension] = (vec[h % dimension] as number) + ((fnv1a(feature, 0x9747b28c) & 1) === 0 ? 1 : -1);
  }
  let norm = 0;
  for (const v of vec) norm += v * v;
  if (norm === 0) {
    vec[0] = 1; // empty text: a fixed unit vector
    norm = 1;
  }
  const scale = 1 / Math.sqrt(norm);
  return Array.from(vec, (v) => Math.fround(v * scale));
}

/** Little-endian float32 bytes, base64-encoded (OpenAI `encoding_format: "base64"`). */
export function toBase64(vector: readonly number[]): string {
  const buf = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
