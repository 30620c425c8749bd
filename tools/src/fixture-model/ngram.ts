/**
 * Character (byte) n-gram language model with interpolated Witten-Bell smoothing over the
 * fixture tokenizer's vocabulary. Every token has a non-zero probability, distributions sum to 1,
 * and text resembling the training corpus scores higher than noise.
 */
import { CORPUS, corpusDocuments } from './corpus.js';
import { EOS_ID, VOCAB_SIZE, encode } from './tokenizer.js';

interface ContextStats {
  total: number;
  counts: Map<number, number>;
}

export interface TopToken {
  id: number;
  logprob: number;
}

export interface NgramOptions {
  /** n-gram order: a token is predicted from the previous `order - 1` tokens. Default 6. */
  order?: number;
  /** Training text; defaults to the bundled corpus. */
  text?: string;
}

const keyOf = (ids: readonly number[], from: number, to: number): string => {
  let key = '';
  for (let i = from; i < to; i++) key += String.fromCharCode(ids[i] ?? 0);
  return key;
};

export class NgramModel {
  readonly order: number;
  /** tables[k] maps a context of exactly k tokens to its follower counts. */
  private readonly tables: Map<string, ContextStats>[];
  private readonly distCache = new Map<string, Float64Array>();

  constructor(options: NgramOptions = {}) {
    this.order = Math.max(1, options.order ?? 6);
    this.tables = Array.from({ length: this.order }, () => new Map<string, ContextStats>());
    for (const doc of corpusDocuments(options.text ?? CORPUS)) {
      this.train([EOS_ID, ...encode(doc), EOS_ID]);
    }
  }

  private train(seq: readonly number[]): void {
    for (let i = 1; i < seq.length; i++) {
      const next = seq[i] as number;
      for (let k = 0; k < this.order && k <= i; k++) {
        const key = keyOf(seq, i - k, i);
        const table = this.tables[k] as Map<string, ContextStats>;
        let stats = table.get(key);
        if (!stats) {
          stats = { total: 0, counts: new Map() };
          table.set(key, stats);
        }
        stats.total += 1;
        stats.counts.set(next, (stats.counts.get(next) ?? 0) + 1);
      }
    }
  }

  /** Context used to predict the token at `position` of `ids`: an implicit EOS precedes the text. */
  private contextKey(ids: readonly number[], position: number): string {
    const n = this.order - 1;
    let key = '';
    for (let i = position - n; i < position; i++) {
      if (i === -1) key += String.fromCharCode(EOS_ID);
      else if (i >= 0) key += String.fromCharCode(ids[i] ?? 0);
    }
    return key;
  }

  private distributionForKey(key: string): Float64Array {
    const cached = this.distCache.get(key);
    if (cached) return cached;
    const dist = new Float64Array(VOCAB_SIZE).fill(1 / VOCAB_SIZE);
    for (let k = 0; k <= key.length; k++) {
      const stats = this.tables[k]?.get(key.slice(key.length - k));
      if (!stats) break;
      const types = stats.counts.size;
      const denom = stats.total + types;
      // same arithmetic as (types·p + count) / denom for every token, without a lookup per token
      const seen: [number, number][] = [];
      for (const [c, count] of stats.counts) seen.push([c, (types * (dist[c] as number) + count) / denom]);
      for (let c = 0; c < VOCAB_SIZE; c++) dist[c] = (types * (dist[c] as number) + 0) / denom;
      for (const [c, p] of seen) dist[c] = p;
    }
    if (this.distCache.size > 20_000) this.distCache.clear();
    this.distCache.set(key, dist);
    return dist;
  }

  /** Probability distribution (length VOCAB_SIZE) of the token at `position` given `ids[0..position)`. */
  distribution(ids: readonly number[], position: number = ids.length): Float64Array {
    return this.distributionForKey(this.contextKey(ids, position));
  }

  /** Natural-log probability of `ids[position]` given the tokens before it. */
  logprob(ids: readonly number[], position: number): number {
    return Math.log(this.distribution(ids, position)[ids[position] as number] as number);
  }

  /** The `k` most likely next tokens at `position`, most likely first; ties broken by lower id. */
  top(ids: readonly number[], position: number, k: number): TopToken[] {
    return topOf(this.distribution(ids, position), k);
  }

  /** Sum of logprobs of `ids[from..]` given everything before (a continuation score). */
  score(ids: readonly number[], from = 1): number {
    let sum = 0;
    for (let i = Math.max(0, from); i < ids.length; i++) sum += this.logprob(ids, i);
    return sum;
  }
}

const topCache = new WeakMap<Float64Array, TopToken[]>();

export function topOf(dist: Float64Array, k: number): TopToken[] {
  if (k <= 0) return [];
  const cached = topCache.get(dist);
  if (cached && cached.length >= Math.min(k, dist.length)) return cached.slice(0, k);
  // the k largest probabilities, most likely first, ties broken by lower id
  const ids: number[] = [];
  const ps: number[] = [];
  for (let id = 0; id < dist.length; id++) {
    const p = dist[id] as number;
    if (ids.length === k && p <= (ps[k - 1] as number)) continue;
    let j = ids.length;
    while (j > 0 && (ps[j - 1] as number) < p) j--;
    ids.splice(j, 0, id);
    ps.splice(j, 0, p);
    if (ids.length > k) {
      ids.pop();
      ps.pop();
    }
  }
  const best = ids.map((id, i) => ({ id, logprob: Math.log(ps[i] as number) }));
  topCache.set(dist, best);
  return best.slice(0, k);
}

/** Small deterministic PRNG (mulberry32) for seeded sampling. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pick the next token: argmax (lowest id on ties) at temperature 0, else seeded sampling. */
export function pickToken(dist: Float64Array, temperature: number, random: () => number): number {
  if (!(temperature > 0)) return topOf(dist, 1)[0]?.id ?? EOS_ID;
  const weights = new Float64Array(dist.length);
  let total = 0;
  for (let i = 0; i < dist.length; i++) {
    const w = Math.pow(dist[i] as number, 1 / temperature);
    weights[i] = w;
    total += w;
  }
  let r = random() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i] as number;
    if (r <= 0) return i;
  }
  return weights.length - 1;
}
