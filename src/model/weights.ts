/**
 * The model's parameters in memory: one flat Float32Array holding every parameter
 * back to back, with a typed view per parameter (each contiguous) and a Hugging Face name
 * per view. Gradients and AdamW moments use the same layout in buffers of the same
 * length, so the optimizer and the clipping norm are single calls over the whole model.
 *
 * Layout choices (for big GEMMs): q, k and v projections are stored as one fused
 * [(H + 2·Hkv)·D, hidden] matrix (q rows, then k, then v) with a fused bias, so one GEMM
 * projects all three; the HF tensors `q_proj.weight` etc. are row ranges of it.
 * Linear weights are [out, in] row-major, as in PyTorch. Tied embeddings: `lmHead` is
 * the embedding matrix itself (same memory; its gradient is the sum of both uses).
 */
import type { ModelConfig } from './config.ts';
import type { Tensor } from './safetensors.ts';
import { UserError } from '../util/errors.ts';

export interface LayerParams {
  inNorm: Float32Array;
  /** [(H + 2·Hkv)·D, hidden]. */
  qkvW: Float32Array;
  /** [(H + 2·Hkv)·D] or null (qwen3 without attention_bias). */
  qkvB: Float32Array | null;
  /** [D] each, qwen3 only. */
  qNorm: Float32Array | null;
  kNorm: Float32Array | null;
  /** [hidden, H·D]. */
  oW: Float32Array;
  postNorm: Float32Array;
  /** [I, hidden] each. */
  gateW: Float32Array;
  upW: Float32Array;
  /** [hidden, I]. */
  downW: Float32Array;
}

/** Views of one flat buffer in the model's layout. */
export interface ParamViews {
  embed: Float32Array;
  layers: LayerParams[];
  finalNorm: Float32Array;
  /** The embedding itself when tied. */
  lmHead: Float32Array;
}

/** One HF-named tensor as a range of the flat buffer. */
export interface ParamEntry {
  name: string;
  shape: number[];
  offset: number;
  size: number;
}

/** Dimensions derived from the config, used everywhere. */
export interface Dims {
  hidden: number;
  inter: number;
  H: number;
  Hkv: number;
  D: number;
  qDim: number;
  kvDim: number;
  qkvDim: number;
  vocab: number;
  layers: number;
}

export function dimsOf(cfg: ModelConfig): Dims {
  const qDim = cfg.numHeads * cfg.headDim;
  const kvDim = cfg.numKvHeads * cfg.headDim;
  return {
    hidden: cfg.hiddenSize, inter: cfg.intermediateSize, H: cfg.numHeads, Hkv: cfg.numKvHeads, D: cfg.headDim,
    qDim, kvDim, qkvDim: qDim + 2 * kvDim, vocab: cfg.vocabSize, layers: cfg.numLayers,
  };
}

/** The parameter layout: HF names, shapes and offsets, in a fixed order. */
export function paramLayout(cfg: ModelConfig): { entries: ParamEntry[]; total: number } {
  const d = dimsOf(cfg);
  if (cfg.numHeads % cfg.numKvHeads !== 0) {
    throw new UserError(`num_attention_heads ${cfg.numHeads} must be a multiple of num_key_value_heads ${cfg.numKvHeads}`);
  }
  const entries: ParamEntry[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    entries.push({ name, shape, offset, size });
    offset += size;
  };
  add('model.embed_tokens.weight', [d.vocab, d.hidden]);
  for (let l = 0; l < d.layers; l++) {
    const p = `model.layers.${l}.`;
    add(p + 'input_layernorm.weight', [d.hidden]);
    // q, k, v weights back to back = the fused qkv matrix.
    add(p + 'self_attn.q_proj.weight', [d.qDim, d.hidden]);
    add(p + 'self_attn.k_proj.weight', [d.kvDim, d.hidden]);
    add(p + 'self_attn.v_proj.weight', [d.kvDim, d.hidden]);
    if (cfg.attentionBias) {
      add(p + 'self_attn.q_proj.bias', [d.qDim]);
      add(p + 'self_attn.k_proj.bias', [d.kvDim]);
      add(p + 'self_attn.v_proj.bias', [d.kvDim]);
    }
    if (cfg.qkNorm) {
      add(p + 'self_attn.q_norm.weight', [d.D]);
      add(p + 'self_attn.k_norm.weight', [d.D]);
    }
    add(p + 'self_attn.o_proj.weight', [d.hidden, d.qDim]);
    add(p + 'post_attention_layernorm.weight', [d.hidden]);
    add(p + 'mlp.gate_proj.weight', [d.inter, d.hidden]);
    add(p + 'mlp.up_proj.weight', [d.inter, d.hidden]);
    add(p + 'mlp.down_proj.weight', [d.hidden, d.inter]);
  }
  add('model.norm.weight', [d.hidden]);
  if (!cfg.tieWordEmbeddings) add('lm_head.weight', [d.vocab, d.hidden]);
  return { entries, total: offset };
}

/** Typed views of `buf` (params, grads or moments) in the layout of `paramLayout`. */
export function makeViews(cfg: ModelConfig, entries: readonly ParamEntry[], buf: Float32Array): ParamViews {
  const by = new Map(entries.map((e) => [e.name, e]));
  const view = (name: string): Float32Array => {
    const e = by.get(name);
    if (!e) throw new Error(`internal: no parameter ${name}`);
    return buf.subarray(e.offset, e.offset + e.size);
  };
  const range = (first: string, count: number, perSize: number): Float32Array => {
    const e = by.get(first)!;
    return buf.subarray(e.offset, e.offset + count * perSize);
  };
  const d = dimsOf(cfg);
  const layers: LayerParams[] = [];
  for (let l = 0; l < d.layers; l++) {
    const p = `model.layers.${l}.`;
    layers.push({
      inNorm: view(p + 'input_layernorm.weight'),
      qkvW: range(p + 'self_attn.q_proj.weight', 1, d.qkvDim * d.hidden),
      qkvB: cfg.attentionBias ? range(p + 'self_attn.q_proj.bias', 1, d.qkvDim) : null,
      qNorm: cfg.qkNorm ? view(p + 'self_attn.q_norm.weight') : null,
      kNorm: cfg.qkNorm ? view(p + 'self_attn.k_norm.weight') : null,
      oW: view(p + 'self_attn.o_proj.weight'),
      postNorm: view(p + 'post_attention_layernorm.weight'),
      gateW: view(p + 'mlp.gate_proj.weight'),
      upW: view(p + 'mlp.up_proj.weight'),
      downW: view(p + 'mlp.down_proj.weight'),
    });
  }
  const embed = view('model.embed_tokens.weight');
  return {
    embed, layers, finalNorm: view('model.norm.weight'),
    lmHead: cfg.tieWordEmbeddings ? embed : view('lm_head.weight'),
  };
}

/** A model's weights: config, layout, the flat parameter buffer and its views. */
export class ModelWeights {
  readonly dims: Dims;
  readonly entries: ParamEntry[];
  readonly data: Float32Array;
  readonly views: ParamViews;

  constructor(readonly config: ModelConfig, data?: Float32Array) {
    this.dims = dimsOf(config);
    const { entries, total } = paramLayout(config);
    this.entries = entries;
    if (data && data.length !== total) throw new Error(`internal: weight buffer has ${data.length} floats, layout needs ${total}`);
    this.data = data ?? new Float32Array(total);
    this.views = makeViews(config, entries, this.data);
  }

  get numParams(): number {
    return this.data.length;
  }

  /**
   * Builds the weights from HF-named tensors (`readModelWeights`, or init-model's map).
   * A tied model ignores a stored `lm_head.weight`; an untied one without it is an error.
   */
  static fromTensors(config: ModelConfig, tensors: Map<string, Tensor>, source = 'weights'): ModelWeights {
    const w = new ModelWeights(config);
    for (const e of w.entries) {
      const t = tensors.get(e.name);
      if (!t) throw new UserError(`${source}: tensor "${e.name}" is missing (expected shape [${e.shape.join(', ')}])`);
      const n = t.shape.reduce((a, b) => a * b, 1);
      if (n !== e.size || t.shape.length !== e.shape.length || t.shape.some((s, i) => s !== e.shape[i])) {
        throw new UserError(`${source}: tensor "${e.name}" has shape [${t.shape.join(', ')}], config needs [${e.shape.join(', ')}]`);
      }
      w.data.set(t.data.subarray(0, n), e.offset);
    }
    return w;
  }

  /** HF-named tensors viewing this model's memory (no copy). */
  toTensors(): Map<string, Tensor> {
    const m = new Map<string, Tensor>();
    for (const e of this.entries) m.set(e.name, { shape: e.shape.slice(), data: this.data.subarray(e.offset, e.offset + e.size) });
    return m;
  }

  /** The view of one HF-named tensor. */
  tensor(name: string): Float32Array {
    const e = this.entries.find((x) => x.name === name);
    if (!e) throw new UserError(`no parameter named "${name}"`);
    return this.data.subarray(e.offset, e.offset + e.size);
  }
}
