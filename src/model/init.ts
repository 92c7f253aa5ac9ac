/**
 * Random initialisation of a Qwen2/Qwen3 model as transformers' `_init_weights` does for
 * these models: every Linear and Embedding weight ~ normal(0, initializer_range = 0.02),
 * biases zero, RMSNorm weights one. Each tensor draws from its own stream
 * `Rng.derive(seed, name)`, so a tensor's values depend only on the seed and its name.
 */
import { Rng } from '../util/rng.ts';
import type { ModelConfig } from './config.ts';
import type { Tensor } from './safetensors.ts';

/** The HF tensor names and shapes of a model, in transformers' parameter order. */
export function modelTensorShapes(cfg: ModelConfig): [string, number[]][] {
  const h = cfg.hiddenSize;
  const q = cfg.numHeads * cfg.headDim;
  const kv = cfg.numKvHeads * cfg.headDim;
  const out: [string, number[]][] = [['model.embed_tokens.weight', [cfg.vocabSize, h]]];
  for (let i = 0; i < cfg.numLayers; i++) {
    const p = `model.layers.${i}`;
    out.push([`${p}.self_attn.q_proj.weight`, [q, h]]);
    if (cfg.attentionBias) out.push([`${p}.self_attn.q_proj.bias`, [q]]);
    out.push([`${p}.self_attn.k_proj.weight`, [kv, h]]);
    if (cfg.attentionBias) out.push([`${p}.self_attn.k_proj.bias`, [kv]]);
    out.push([`${p}.self_attn.v_proj.weight`, [kv, h]]);
    if (cfg.attentionBias) out.push([`${p}.self_attn.v_proj.bias`, [kv]]);
    out.push([`${p}.self_attn.o_proj.weight`, [h, q]]);
    if (cfg.qkNorm) {
      out.push([`${p}.self_attn.q_norm.weight`, [cfg.headDim]]);
      out.push([`${p}.self_attn.k_norm.weight`, [cfg.headDim]]);
    }
    out.push([`${p}.mlp.gate_proj.weight`, [cfg.intermediateSize, h]]);
    out.push([`${p}.mlp.up_proj.weight`, [cfg.intermediateSize, h]]);
    out.push([`${p}.mlp.down_proj.weight`, [h, cfg.intermediateSize]]);
    out.push([`${p}.input_layernorm.weight`, [h]]);
    out.push([`${p}.post_attention_layernorm.weight`, [h]]);
  }
  out.push(['model.norm.weight', [h]]);
  if (!cfg.tieWordEmbeddings) out.push(['lm_head.weight', [cfg.vocabSize, h]]);
  return out;
}

function initRange(cfg: ModelConfig): number {
  const r = cfg.raw['initializer_range'];
  return typeof r === 'number' && r > 0 ? r : 0.02;
}

/** Fills `out` with normal(0, std) draws: Box-Muller, both outputs of each pair used. */
export function fillNormal(out: Float32Array, rng: Rng, std: number): void {
  for (let i = 0; i < out.length; i += 2) {
    let u = 0;
    while (u === 0) u = rng.float();
    const v = rng.float();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
}

/** Fresh weights for `cfg`, deterministic in `seed`. */
export function initModelWeights(cfg: ModelConfig, seed: number): Map<string, Tensor> {
  const std = initRange(cfg);
  const out = new Map<string, Tensor>();
  for (const [name, shape] of modelTensorShapes(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (name.endsWith('norm.weight')) data.fill(1);
    else if (!name.endsWith('.bias')) {
      fillNormal(data, Rng.derive(seed, `init:${name}`), std);
    }
    out.set(name, { shape, data });
  }
  return out;
}

/** Total parameter count of a weight map (tied embeddings counted once, as HF does). */
export function countParameters(weights: Map<string, Tensor>): number {
  let n = 0;
  for (const t of weights.values()) n += t.data.length;
  return n;
}
