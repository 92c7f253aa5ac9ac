/**
 * An independent float64 reference of the Hugging Face Qwen2/Qwen3 forward, written from
 * transformers' `modeling_qwen2.py` / `modeling_qwen3.py` and `modeling_rope_utils.py`
 * semantics with plain loops (no kernels, no shared code with src/model): used by the
 * tests to check Qwen3 (q/k norm, head_dim, untied) and the rope_scaling types.
 */
import type { ModelConfig } from '../../src/model/config.ts';
import type { ModelWeights } from '../../src/model/weights.ts';

/** HF `_compute_*_parameters` for default, linear and yarn, in float64. */
export function refInvFreq(cfg: ModelConfig): { inv: number[]; att: number } {
  const dim = cfg.headDim;
  const base = cfg.ropeTheta;
  const inv: number[] = [];
  for (let i = 0; i < dim; i += 2) inv.push(1 / base ** (i / dim));
  const s = cfg.ropeScaling;
  if (!s || s.type === 'default') return { inv, att: 1 };
  if (s.type === 'linear') return { inv: inv.map((f) => f / s.factor), att: 1 };
  if (s.type !== 'yarn') throw new Error('reference: unsupported rope type');
  const factor = s.factor;
  const att = s.attentionFactor ?? 0.1 * Math.log(factor) + 1;
  const orig = s.originalMaxPositionEmbeddings ?? cfg.maxPositionEmbeddings;
  const corr = (rot: number) => (dim * Math.log(orig / (rot * 2 * Math.PI))) / (2 * Math.log(base));
  const low = Math.max(Math.floor(corr(s.betaFast ?? 32)), 0);
  let high = Math.min(Math.ceil(corr(s.betaSlow ?? 1)), dim - 1);
  if (low === high) high += 0.001;
  const out = inv.map((extra, j) => {
    const interp = extra / factor;
    const ramp = Math.min(1, Math.max(0, (j - low) / (high - low)));
    const extraFactor = 1 - ramp;
    return interp * (1 - extraFactor) + extra * extraFactor;
  });
  return { inv: out, att };
}

function rms(x: number[], w: ArrayLike<number>, eps: number): number[] {
  let ss = 0;
  for (const v of x) ss += v * v;
  const r = 1 / Math.sqrt(ss / x.length + eps);
  return x.map((v, i) => w[i]! * v * r);
}

function matvec(W: ArrayLike<number>, off: number, rows: number, cols: number, x: number[], b: ArrayLike<number> | null, boff = 0): number[] {
  const y: number[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = b ? b[boff + r]! : 0;
    const o = off + r * cols;
    for (let c = 0; c < cols; c++) s += W[o + c]! * x[c]!;
    y[r] = s;
  }
  return y;
}

/** Log-softmax rows [T][vocab] of the float64 forward. */
export function referenceLogits(w: ModelWeights, ids: readonly number[]): number[][] {
  const cfg = w.config;
  const hid = cfg.hiddenSize, H = cfg.numHeads, Hkv = cfg.numKvHeads, D = cfg.headDim, I = cfg.intermediateSize;
  const T = ids.length;
  const get = (n: string) => w.tensor(n);
  const { inv, att } = refInvFreq(cfg);
  const rope = (v: number[], pos: number): number[] => {
    const half = D / 2;
    const out = new Array<number>(D);
    for (let i = 0; i < D; i++) {
      const f = inv[i % half]! * pos;
      const rot = i < half ? -v[i + half]! : v[i - half]!;
      out[i] = v[i]! * Math.cos(f) * att + rot * Math.sin(f) * att;
    }
    return out;
  };
  const E = get('model.embed_tokens.weight');
  let xs: number[][] = ids.map((id) => Array.from(E.subarray(id * hid, (id + 1) * hid)));
  for (let l = 0; l < cfg.numLayers; l++) {
    const p = `model.layers.${l}.`;
    const bias = (n: string) => (cfg.attentionBias ? get(p + `self_attn.${n}_proj.bias`) : null);
    const qs: number[][][] = [], ks: number[][][] = [], vs: number[][][] = [];
    for (let t = 0; t < T; t++) {
      const h = rms(xs[t]!, get(p + 'input_layernorm.weight'), cfg.rmsNormEps);
      const q = matvec(get(p + 'self_attn.q_proj.weight'), 0, H * D, hid, h, bias('q'));
      const k = matvec(get(p + 'self_attn.k_proj.weight'), 0, Hkv * D, hid, h, bias('k'));
      const v = matvec(get(p + 'self_attn.v_proj.weight'), 0, Hkv * D, hid, h, bias('v'));
      const heads = (a: number[], n: number) => Array.from({ length: n }, (_, i) => a.slice(i * D, (i + 1) * D));
      let qh = heads(q, H), kh = heads(k, Hkv);
      if (cfg.qkNorm) {
        qh = qh.map((x) => rms(x, get(p + 'self_attn.q_norm.weight'), cfg.rmsNormEps));
        kh = kh.map((x) => rms(x, get(p + 'self_attn.k_norm.weight'), cfg.rmsNormEps));
      }
      qs.push(qh.map((x) => rope(x, t)));
      ks.push(kh.map((x) => rope(x, t)));
      vs.push(heads(v, Hkv));
    }
    const next: number[][] = [];
    for (let t = 0; t < T; t++) {
      const attnOut: number[] = [];
      for (let h = 0; h < H; h++) {
        const kvh = Math.floor(h / (H / Hkv));
        const sc: number[] = [];
        for (let j = 0; j <= t; j++) {
          let s = 0;
          for (let i = 0; i < D; i++) s += qs[t]![h]![i]! * ks[j]![kvh]![i]!;
          sc.push(s / Math.sqrt(D));
        }
        const m = Math.max(...sc);
        const e = sc.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let i = 0; i < D; i++) {
          let s = 0;
          for (let j = 0; j <= t; j++) s += (e[j]! / z) * vs[j]![kvh]![i]!;
          attnOut.push(s);
        }
      }
      const o = matvec(get(p + 'self_attn.o_proj.weight'), 0, hid, H * D, attnOut, null);
      const x2 = xs[t]!.map((v, i) => v + o[i]!);
      const h2 = rms(x2, get(p + 'post_attention_layernorm.weight'), cfg.rmsNormEps);
      const g = matvec(get(p + 'mlp.gate_proj.weight'), 0, I, hid, h2, null);
      const u = matvec(get(p + 'mlp.up_proj.weight'), 0, I, hid, h2, null);
      const a = g.map((gv, i) => (gv / (1 + Math.exp(-gv))) * u[i]!);
      const dn = matvec(get(p + 'mlp.down_proj.weight'), 0, hid, I, a, null);
      next.push(x2.map((v, i) => v + dn[i]!));
    }
    xs = next;
  }
  const head = cfg.tieWordEmbeddings ? E : get('lm_head.weight');
  return xs.map((x) => {
    const h = rms(x, get('model.norm.weight'), cfg.rmsNormEps);
    return matvec(head, 0, cfg.vocabSize, hid, h, null);
  });
}

export function logSoftmax(z: number[]): number[] {
  const m = Math.max(...z);
  const l = m + Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
  return z.map((v) => v - l);
}
