/**
 * Rotary position embedding tables (cos/sin, [maxPos, headDim/2]) for the `rope_scaling`
 * types of Hugging Face transformers' `modeling_rope_utils.py`.
 *
 * The kernels use the `rotate_half` layout: element i pairs with i + D/2 and both use
 * frequency inv_freq[i], so a table row holds D/2 values. The attention factor (YaRN's
 * magnitude correction) is folded into cos and sin, as HF multiplies both by
 * `attention_scaling`.
 *
 * Semantics (HF `_compute_*_parameters`, contracts §3):
 * - default: inv_freq[i] = 1 / theta^(2i/D), attention factor 1;
 * - linear: inv_freq / factor;
 * - dynamic (NTK): for a sequence of length L > max_position_embeddings the base becomes
 *   theta * (factor*L/maxPos - (factor-1))^(D/(D-2)); the tables are rebuilt for the longest
 *   length asked so far (as HF's dynamic update does);
 * - yarn (Peng et al. 2023, arXiv:2309.00071): per dimension a blend of interpolation
 *   (inv_freq/factor) and extrapolation (inv_freq) with a linear ramp between the correction
 *   dims of beta_fast (default 32) and beta_slow (default 1) rotations over
 *   original_max_position_embeddings (rope_scaling's, else config's max_position_embeddings),
 *   floor/ceil truncated; `factor` as given (current transformers, after PR #40320; older
 *   versions replaced it by max_position_embeddings / original_max_position_embeddings
 *   whenever the latter was set, transformers#38224); attention factor = given `attention_factor`, else
 *   get_mscale(factor, mscale)/get_mscale(factor, mscale_all_dim) when both given,
 *   else 0.1·ln(factor) + 1;
 * - llama3: low/high frequency wavelength bands (factor, low_freq_factor, high_freq_factor).
 */
import { UserError } from '../util/errors.ts';
import type { RopeScaling } from './config.ts';

/** The subset of the model config the tables need (structurally compatible with ModelConfig). */
export interface RopeConfig {
  headDim: number;
  ropeTheta: number;
  maxPositionEmbeddings: number;
  ropeScaling: RopeScaling | null;
}

/** Inverse frequencies (float64, length headDim/2) and the attention factor. */
export function ropeParameters(cfg: RopeConfig, seqLen = 0): { invFreq: Float64Array; attentionFactor: number } {
  const dim = cfg.headDim;
  const half = dim / 2;
  if (!Number.isInteger(half) || half < 1) throw new UserError(`head_dim ${dim} must be even for rotary embeddings`);
  const base = cfg.ropeTheta;
  const s = cfg.ropeScaling;
  const defaultFreqs = (b: number): Float64Array => {
    const f = new Float64Array(half);
    for (let i = 0; i < half; i++) f[i] = 1 / Math.pow(b, (2 * i) / dim);
    return f;
  };
  if (s === null || s.type === 'default') return { invFreq: defaultFreqs(base), attentionFactor: 1 };
  const factor = s.factor;
  if (!(factor > 0)) throw new UserError(`rope_scaling.factor must be > 0, got ${factor}`);
  switch (s.type) {
    case 'linear': {
      const f = defaultFreqs(base);
      for (let i = 0; i < half; i++) f[i] = f[i]! / factor;
      return { invFreq: f, attentionFactor: 1 };
    }
    case 'dynamic': {
      const maxPos = cfg.maxPositionEmbeddings;
      const L = seqLen > maxPos ? seqLen : maxPos;
      const b = base * Math.pow((factor * L) / maxPos - (factor - 1), dim / (dim - 2));
      return { invFreq: defaultFreqs(b), attentionFactor: 1 };
    }
    case 'yarn':
      return yarnParameters(cfg, base, dim, factor);
    case 'llama3':
      return llama3Parameters(cfg, base, dim, factor);
    default:
      throw new UserError(`rope_scaling type "${s.type}" is not supported (default, linear, dynamic, yarn, llama3)`);
  }
}

function yarnMscale(scale: number, mscale = 1): number {
  return scale <= 1 ? 1 : 0.1 * mscale * Math.log(scale) + 1;
}

function yarnParameters(cfg: RopeConfig, base: number, dim: number, factor: number) {
  const s = cfg.ropeScaling!;
  const half = dim / 2;
  const origMax = s.originalMaxPositionEmbeddings ?? cfg.maxPositionEmbeddings;
  let attentionFactor = s.attentionFactor;
  if (attentionFactor === undefined) {
    attentionFactor = s.mscale !== undefined && s.mscaleAllDim !== undefined && s.mscale && s.mscaleAllDim
      ? yarnMscale(factor, s.mscale) / yarnMscale(factor, s.mscaleAllDim)
      : yarnMscale(factor);
  }
  const betaFast = s.betaFast || 32;
  const betaSlow = s.betaSlow || 1;
  const correctionDim = (rotations: number) =>
    (dim * Math.log(origMax / (rotations * 2 * Math.PI))) / (2 * Math.log(base));
  const low = Math.max(Math.floor(correctionDim(betaFast)), 0);
  let high = Math.min(Math.ceil(correctionDim(betaSlow)), dim - 1);
  if (low === high) high += 0.001;
  const invFreq = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    const extrap = 1 / Math.pow(base, (2 * i) / dim);
    const interp = extrap / factor;
    const ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
    const extrapFactor = 1 - ramp;
    invFreq[i] = interp * (1 - extrapFactor) + extrap * extrapFactor;
  }
  return { invFreq, attentionFactor };
}

function llama3Parameters(cfg: RopeConfig, base: number, dim: number, factor: number) {
  const s = cfg.ropeScaling!;
  const half = dim / 2;
  const lowFreqFactor = s.lowFreqFactor ?? 1;
  const highFreqFactor = s.highFreqFactor ?? 4;
  const oldLen = s.originalMaxPositionEmbeddings ?? 8192;
  const lowFreqWavelen = oldLen / lowFreqFactor;
  const highFreqWavelen = oldLen / highFreqFactor;
  const invFreq = new Float64Array(half);
  for (let i = 0; i < half; i++) {
    const f = 1 / Math.pow(base, (2 * i) / dim);
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highFreqWavelen) invFreq[i] = f;
    else if (wavelen > lowFreqWavelen) invFreq[i] = f / factor;
    else {
      const smooth = (oldLen / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
      invFreq[i] = (1 - smooth) * (f / factor) + smooth * f;
    }
  }
  return { invFreq, attentionFactor: 1 };
}

/**
 * cos/sin tables [capacity, headDim/2] that grow on demand (doubling), angles computed in
 * float64 and rounded once to float32.
 */
export class RopeTables {
  cos = new Float32Array(0);
  sin = new Float32Array(0);
  /** Positions covered. */
  capacity = 0;
  readonly half: number;
  private invFreq: Float64Array;
  private attentionFactor: number;
  private readonly dynamic: boolean;

  constructor(private readonly cfg: RopeConfig, initial = 256) {
    this.half = cfg.headDim / 2;
    const p = ropeParameters(cfg);
    this.invFreq = p.invFreq;
    this.attentionFactor = p.attentionFactor;
    this.dynamic = cfg.ropeScaling?.type === 'dynamic';
    this.ensure(initial);
  }

  /** Makes the tables cover positions [0, n). */
  ensure(n: number): void {
    if (n <= this.capacity) return;
    let cap = Math.max(this.capacity * 2, 256);
    while (cap < n) cap *= 2;
    if (this.dynamic) {
      const p = ropeParameters(this.cfg, n);
      this.invFreq = p.invFreq;
      this.attentionFactor = p.attentionFactor;
      cap = Math.max(n, this.capacity); // dynamic frequencies depend on the length asked
    }
    const half = this.half;
    const cos = new Float32Array(cap * half);
    const sin = new Float32Array(cap * half);
    const af = this.attentionFactor;
    for (let pos = 0; pos < cap; pos++) {
      const row = pos * half;
      for (let i = 0; i < half; i++) {
        const a = pos * this.invFreq[i]!;
        cos[row + i] = Math.cos(a) * af;
        sin[row + i] = Math.sin(a) * af;
      }
    }
    this.cos = cos;
    this.sin = sin;
    this.capacity = cap;
  }
}
