/**
 * Builds the training datum of one sampled response in the token convention of
 * `src/policy/types.ts` (as the Tinker API): for a prompt p_0..p_{P−1} and a response
 * y_0..y_{R−1}, input = p ++ y[0..R−2], target = p[1..] ++ y, mask 0 on the first P−1
 * positions and 1 on the R response positions. The extras the policy loss reads are set
 * from the rollout: `advantages_T` (the trajectory's advantage on response tokens) and
 * `samplerLogprobs_T` (the sampler's log-probs, for truncated importance sampling and the
 * logged train-vs-inference gap). `oldLogprobs_T` / `refLogprobs_T` come later from
 * `Policy.forward` on these datums (`withExtra`).
 *
 * An empty response gives a datum with an all-zero mask: it trains nothing, and its reward
 * still entered its group's statistics (rl-algorithms.md §9 trap 17). With
 * `maskTruncated`, a response cut at the length limit gets an all-zero mask too (overlong
 * filtering).
 */
import { UserError } from '../util/errors.ts';
import type { Datum, FinishReason } from '../policy/types.ts';

export interface RlSample {
  promptTokens: readonly number[];
  /** Generated token ids. */
  tokens: readonly number[];
  /** Sampler log-probs, one per generated token. */
  logprobs: readonly number[];
  finishReason?: FinishReason;
}

export interface RlDatumOptions {
  /** Zero the mask of a response whose finish reason is `length` (overlong filtering). */
  maskTruncated?: boolean;
}

/** One datum per sampled response; see the module doc. */
export function makeRlDatum(sample: RlSample, advantage: number, opts: RlDatumOptions = {}): Datum {
  const P = sample.promptTokens.length;
  const R = sample.tokens.length;
  if (P < 1) throw new UserError('makeRlDatum: the prompt must have at least one token');
  if (sample.logprobs.length !== R) throw new UserError(`makeRlDatum: ${sample.logprobs.length} sampler log-probs for ${R} response tokens`);
  const full = [...sample.promptTokens, ...sample.tokens];
  const T = P - 1 + R;
  const inputTokens_T = new Int32Array(T);
  const targetTokens_T = new Int32Array(T);
  const mask_T = new Float32Array(T);
  const advantages_T = new Float32Array(T);
  const samplerLogprobs_T = new Float32Array(T);
  const train = !(opts.maskTruncated && sample.finishReason === 'length');
  for (let t = 0; t < T; t++) {
    inputTokens_T[t] = full[t] as number;
    targetTokens_T[t] = full[t + 1] as number;
    if (t >= P - 1) {
      samplerLogprobs_T[t] = sample.logprobs[t - (P - 1)] as number;
      if (train) {
        mask_T[t] = 1;
        advantages_T[t] = advantage;
      }
    }
  }
  return { inputTokens_T, targetTokens_T, mask_T, extra: { advantages_T, samplerLogprobs_T } };
}

/** Returns datums with `extra[key]` set per datum (e.g. `oldLogprobs_T` from `Policy.forward`). */
export function withExtra(datums: readonly Datum[], key: string, rows: readonly Float32Array[]): Datum[] {
  if (rows.length !== datums.length) throw new UserError(`withExtra(${key}): ${rows.length} rows for ${datums.length} datums`);
  return datums.map((d, i) => {
    const row = rows[i] as Float32Array;
    if (row.length !== d.mask_T.length) throw new UserError(`withExtra(${key}): row ${i} has ${row.length} tokens but the datum has ${d.mask_T.length}`);
    return { ...d, extra: { ...d.extra, [key]: row } };
  });
}
