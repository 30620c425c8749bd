/**
 * The fixture "model": tokenizer + n-gram LM, with scoring and generation as an inference
 * server performs them. Pure functions of their inputs: same request, same output.
 */
import { NgramModel, pickToken, prng, topOf } from './ngram.js';
import { EOS_ID, decode, tokenString } from './tokenizer.js';

export interface GenerateOptions {
  maxTokens: number;
  /** 0 (or absent) = greedy. */
  temperature?: number;
  seed?: number;
  stop?: readonly string[];
  ignoreEos?: boolean;
  /** Also return each generated token's logprob and the top `logprobs` alternatives. */
  logprobs?: number | undefined;
}

export interface TokenLogprob {
  id: number;
  logprob: number;
  /** token string → logprob: the top-k alternatives plus the token itself. */
  top: Record<string, number>;
}

export interface Generation {
  ids: number[];
  text: string;
  finishReason: 'stop' | 'length';
  /** The stop string that ended generation, or null (EOS / length). */
  stopReason: string | null;
  logprobs: TokenLogprob[];
}

export class FixtureEngine {
  constructor(readonly lm: NgramModel = new NgramModel()) {}

  /** Logprob entry for token `ids[position]`. */
  tokenLogprob(ids: readonly number[], position: number, k: number): TokenLogprob {
    const dist = this.lm.distribution(ids, position);
    const id = ids[position] as number;
    const logprob = Math.log(dist[id] as number);
    const top: Record<string, number> = {};
    for (const t of topOf(dist, k)) top[tokenString(t.id)] = t.logprob;
    top[tokenString(id)] = logprob;
    return { id, logprob, top };
  }

  generate(promptIds: readonly number[], options: GenerateOptions): Generation {
    const seq = [...promptIds];
    const ids: number[] = [];
    const logprobs: TokenLogprob[] = [];
    const random = prng(options.seed ?? 0);
    const stops = (options.stop ?? []).filter((s) => s.length > 0);
    const maxStop = stops.reduce((m, s) => Math.max(m, s.length), 0);
    let text = '';
    for (let step = 0; step < options.maxTokens; step++) {
      const dist = this.lm.distribution(seq);
      let next = pickToken(dist, options.temperature ?? 0, random);
      if (next === EOS_ID && options.ignoreEos) {
        const alternatives = topOf(dist, 2);
        next = alternatives.find((t) => t.id !== EOS_ID)?.id ?? 32;
      }
      if (options.logprobs !== undefined) {
        seq.push(next);
        logprobs.push(this.tokenLogprob(seq, seq.length - 1, options.logprobs));
        seq.pop();
      }
      if (next === EOS_ID) {
        return { ids, text, finishReason: 'stop', stopReason: null, logprobs };
      }
      seq.push(next);
      ids.push(next);
      text = decode(ids);
      if (stops.length > 0) {
        const from = Math.max(0, text.length - maxStop - 4);
        let cut = -1;
        let which: string | null = null;
        for (const s of stops) {
          const at = text.indexOf(s, from);
          if (at >= 0 && (cut < 0 || at < cut)) {
            cut = at;
            which = s;
          }
        }
        if (which !== null) {
          return { ids, text: text.slice(0, cut), finishReason: 'stop', stopReason: which, logprobs };
        }
      }
    }
    return { ids, text, finishReason: 'length', stopReason: null, logprobs };
  }
}
