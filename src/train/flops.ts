/**
 * Model FLOPs, counted (never timed) so that compute budgets are deterministic: the
 * `sft-continued` baseline gets the same FLOPs the RL stages used (contracts §6), and a
 * resumed run makes the same decisions.
 *
 * Convention (Kaplan et al. 2020, "Scaling Laws for Neural Language Models", §2.1; and
 * Chinchilla's appendix F): a forward pass costs 2N FLOPs per token plus attention, a
 * training step (forward + backward) three times the forward, 6N per token. Here
 * N = non-embedding parameters + the LM head (vocab × hidden): the embedding lookup is
 * free, the LM head is a real matrix product (tied or not). Attention per token at
 * position t (0-based) of a causal sequence: QKᵀ and A·V each 2·t·(heads·headDim) per
 * layer, so 4·L·t·d_attn; a sequence of T tokens costs 2·L·d_attn·T·(T−1) in total
 * (only the computed half, as contracts §4 counts causal attention).
 */
import type { ModelConfig } from '../model/config.ts';

export interface FlopModel {
  /** Non-embedding parameters + LM head. */
  n: number;
  layers: number;
  /** heads · headDim. */
  attnDim: number;
}

/** The FLOP model of a config. */
export function flopModel(cfg: ModelConfig): FlopModel {
  const h = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  const perLayer = h * q + 2 * h * kv + q * h + 3 * h * cfg.intermediateSize;
  return { n: cfg.numLayers * perLayer + cfg.vocabSize * h, layers: cfg.numLayers, attnDim: q };
}

/** Attention FLOPs of tokens at positions [start, end) of one causal sequence (forward). */
export function attentionFlops(m: FlopModel, start: number, end: number): number {
  // Σ_{t=start}^{end-1} 4·L·d·t
  const sumT = ((end - 1) * end) / 2 - ((start - 1) * start) / 2;
  return 4 * m.layers * m.attnDim * sumT;
}

/** Forward FLOPs of a sequence of T tokens (prefill or a scoring pass). */
export function forwardFlops(m: FlopModel, tokens: number): number {
  return 2 * m.n * tokens + attentionFlops(m, 0, tokens);
}

/** Training (forward + backward) FLOPs of a sequence of T tokens: 3× the forward. */
export function trainFlops(m: FlopModel, tokens: number): number {
  return 3 * forwardFlops(m, tokens);
}

/**
 * Sampling FLOPs of one group: the prompt prefilled once (shared by the group), then each
 * of the sampled responses decoded token by token over the prompt and its own prefix.
 */
export function sampleFlops(m: FlopModel, promptTokens: number, responseTokens: readonly number[]): number {
  let f = forwardFlops(m, promptTokens);
  for (const r of responseTokens) f += 2 * m.n * r + attentionFlops(m, promptTokens, promptTokens + r);
  return f;
}
