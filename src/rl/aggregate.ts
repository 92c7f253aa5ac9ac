/**
 * Loss aggregation, verl `agg_loss` (rl-algorithms.md §3), returning the scalar and its
 * gradient weights `w[i,t] = ∂loss/∂ℓ[i,t]` so a caller gets `∂loss/∂logπ = w · ∂ℓ/∂logπ`.
 *
 * With `N` = token count (global when given, else local Σm), `B` = number of non-empty
 * sequences (global when given), `dp` = data-parallel multiplier (default 1):
 * - `token-mean`:              Σ m·ℓ / N · dp                        (DAPO, QwenLong token-level loss)
 * - `seq-mean-token-sum`:      Σ_i [Σ_t m·ℓ] / B · dp
 * - `seq-mean-token-mean`:     Σ_i [Σ_t m·ℓ / (Σ_t m + 1e-8)] / B · dp   (original GRPO, GSPO)
 * - `seq-mean-token-sum-norm`: Σ_i [Σ_t m·ℓ] / B · dp / S, S = `normLength` or the longest row (Dr.GRPO)
 * - `token-sum`:               Σ m·ℓ · dp
 *
 * Follows verl @1dda039b9: a fully masked sequence contributes nothing and is not counted in
 * `B` (trap 7); `seq-mean-token-sum-norm` divides by `B` (verl ≥ PR #5417). Departures:
 * an all-zero mask gives loss 0 and zero weights instead of verl's NaN (0/0, trap 16), and
 * positions with m = 0 are never read, so NaN/inf there cannot leak. verl's S defaults to
 * the padded response length; rows here are ragged, so the default is the longest row —
 * pass `normLength` (e.g. the max response tokens, as TRL's `max_completion_length`) for
 * Dr.GRPO's constant.
 */
import { UserError } from '../util/errors.ts';
import type { NumArray, Rows } from './types.ts';

export type AggMode = 'token-mean' | 'seq-mean-token-sum' | 'seq-mean-token-mean' | 'seq-mean-token-sum-norm' | 'token-sum';

export const AGG_MODES: readonly AggMode[] = ['token-mean', 'seq-mean-token-sum', 'seq-mean-token-mean', 'seq-mean-token-sum-norm', 'token-sum'];

export interface AggOptions {
  /** Token count of the whole (global / mini-) batch for `token-mean`; default the local Σm. */
  globalTokens?: number;
  /** Non-empty sequence count of the whole batch for the seq-mean modes; default local. */
  globalSeqs?: number;
  /** Data-parallel multiplier (verl `dp_size`), default 1. */
  dpSize?: number;
  /** S of `seq-mean-token-sum-norm` (verl `loss_scale_factor`); default the longest row. */
  normLength?: number;
}

export interface AggResult {
  loss: number;
  /** ∂loss/∂ℓ[i,t]; 0 where the mask is 0. */
  weights_B_T: Float64Array[];
  /** Local Σm and local non-empty sequence count. */
  tokens: number;
  seqs: number;
}

/** Throws a `UserError` naming the mode when it is not one of `AGG_MODES`. */
export function checkAggMode(mode: string): asserts mode is AggMode {
  if (!(AGG_MODES as readonly string[]).includes(mode)) {
    throw new UserError(`unknown loss aggregation mode "${mode}"; choose one of ${AGG_MODES.join(', ')}`);
  }
}

/** Aggregates per-token losses under a mask; see the module doc. */
export function aggregateLoss(mode: AggMode, loss_B_T: Rows, mask_B_T: Rows, opts: AggOptions = {}): AggResult {
  checkAggMode(mode);
  if (loss_B_T.length !== mask_B_T.length) {
    throw new UserError(`aggregateLoss: ${loss_B_T.length} loss rows but ${mask_B_T.length} mask rows`);
  }
  const dp = opts.dpSize ?? 1;
  const B = mask_B_T.length;
  const seqSum_B = new Float64Array(B);
  const seqMask_B = new Float64Array(B);
  let T = 0;
  for (let i = 0; i < B; i++) {
    const m_T = mask_B_T[i] as NumArray;
    const l_T = loss_B_T[i] as NumArray;
    if (l_T.length < m_T.length) throw new UserError(`aggregateLoss: loss row ${i} has ${l_T.length} tokens but its mask has ${m_T.length}`);
    T = Math.max(T, m_T.length);
    let s = 0;
    let n = 0;
    for (let t = 0; t < m_T.length; t++) {
      const m = m_T[t] as number;
      if (m > 0) {
        s += m * (l_T[t] as number);
        n += m;
      }
    }
    seqSum_B[i] = s;
    seqMask_B[i] = n;
  }
  let tokens = 0;
  let seqs = 0;
  for (let i = 0; i < B; i++) {
    tokens += seqMask_B[i] as number;
    if ((seqMask_B[i] as number) > 0) seqs++;
  }
  // Per-sequence factor c_i: loss = Σ_i c_i · Σ_t m·ℓ, so w[i,t] = c_i · m[i,t].
  const c_B = new Float64Array(B);
  const N = opts.globalTokens ?? tokens;
  const nSeq = opts.globalSeqs ?? seqs;
  for (let i = 0; i < B; i++) {
    const n = seqMask_B[i] as number;
    if (n === 0) continue;
    switch (mode) {
      case 'token-mean':
        c_B[i] = N > 0 ? dp / N : 0;
        break;
      case 'seq-mean-token-sum':
        c_B[i] = nSeq > 0 ? dp / nSeq : 0;
        break;
      case 'seq-mean-token-mean':
        c_B[i] = nSeq > 0 ? dp / ((n + 1e-8) * nSeq) : 0;
        break;
      case 'seq-mean-token-sum-norm': {
        const S = opts.normLength ?? T;
        c_B[i] = nSeq > 0 && S > 0 ? dp / (nSeq * S) : 0;
        break;
      }
      case 'token-sum':
        c_B[i] = dp;
        break;
    }
  }
  let loss = 0;
  for (let i = 0; i < B; i++) loss += (c_B[i] as number) * (seqSum_B[i] as number);
  const weights_B_T = mask_B_T.map((m_T, i) => {
    const w_T = new Float64Array(m_T.length);
    const c = c_B[i] as number;
    if (c !== 0) for (let t = 0; t < m_T.length; t++) if ((m_T[t] as number) > 0) w_T[t] = c * (m_T[t] as number);
    return w_T;
  });
  return { loss, weights_B_T, tokens, seqs };
}
