/**
 * Model presets for `init-model`: small Qwen2/Qwen3 shapes that train on a CPU.
 * `tiny` is the test model (contracts §3: a few hundred thousand parameters, loads and
 * runs in about a second); `demo` the demo's model (demo-study: d=128, 4 layers, 4
 * heads learned the single-needle task); `bench` the benchmark reference config of
 * issue 3; `qwen3-tiny` exercises the Qwen3 differences (q/k norm, head_dim ≠
 * hidden/heads, untied embeddings).
 */
import { UserError } from '../util/errors.ts';
import type { ModelConfig } from './config.ts';

export interface ModelPreset {
  name: string;
  description: string;
  modelType: 'qwen2' | 'qwen3';
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** Embedding rows; the preset tokenizer is trained to at most this size. */
  vocabSize: number;
  ropeTheta: number;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /**
   * Std of the normal init of every Linear and Embedding weight (HF `initializer_range`,
   * 0.02 when unset). 0.02 suits d >= 768; at d = 128 it shrinks every projection by
   * 0.02·√128 ≈ 0.23 and the attention logits start near zero, and the two-layer
   * induction circuit that key matching needs took > 3,000 steps to begin forming where
   * 1/√d (0.088) formed it in ~200 (docs/demo-study.md §7).
   */
  initializerRange?: number;
}

export const PRESETS: Readonly<Record<string, ModelPreset>> = {
  tiny: {
    name: 'tiny', description: 'test model, ~160K parameters', modelType: 'qwen2',
    hiddenSize: 64, intermediateSize: 176, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16,
    vocabSize: 1024, ropeTheta: 10000, maxPositionEmbeddings: 32768, tieWordEmbeddings: true,
  },
  demo: {
    name: 'demo', description: 'demo model, ~1M parameters', modelType: 'qwen2',
    hiddenSize: 128, intermediateSize: 352, numLayers: 4, numHeads: 4, numKvHeads: 2, headDim: 32,
    vocabSize: 2048, ropeTheta: 10000, maxPositionEmbeddings: 32768, tieWordEmbeddings: true,
    initializerRange: 0.088,
  },
  bench: {
    name: 'bench', description: 'benchmark reference config (issue 3), ~4M parameters', modelType: 'qwen2',
    hiddenSize: 256, intermediateSize: 704, numLayers: 4, numHeads: 4, numKvHeads: 2, headDim: 64,
    vocabSize: 4096, ropeTheta: 10000, maxPositionEmbeddings: 32768, tieWordEmbeddings: true,
  },
  'qwen3-tiny': {
    name: 'qwen3-tiny', description: 'Qwen3 test model: q/k norm, head_dim 32 ≠ 64/4, untied', modelType: 'qwen3',
    hiddenSize: 64, intermediateSize: 176, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 32,
    vocabSize: 1024, ropeTheta: 1000000, maxPositionEmbeddings: 40960, tieWordEmbeddings: false,
  },
};

export function getPreset(name: string): ModelPreset {
  const p = PRESETS[name];
  if (!p) throw new UserError(`unknown preset "${name}"; available: ${Object.keys(PRESETS).join(', ')}`);
  return p;
}

/** The ModelConfig of a preset, with the tokenizer's special ids. */
export function presetConfig(p: ModelPreset, ids: { bosTokenId: number | null; eosTokenIds: number[] }, torchDtype = 'float32'): ModelConfig {
  const isQwen3 = p.modelType === 'qwen3';
  const raw: Record<string, unknown> = {
    architectures: [isQwen3 ? 'Qwen3ForCausalLM' : 'Qwen2ForCausalLM'],
    attention_dropout: 0.0,
    hidden_act: 'silu',
    initializer_range: p.initializerRange ?? 0.02,
    model_type: p.modelType,
    sliding_window: null,
    use_cache: true,
    use_sliding_window: false,
    max_window_layers: p.numLayers,
  };
  return {
    modelType: p.modelType,
    hiddenSize: p.hiddenSize,
    intermediateSize: p.intermediateSize,
    numLayers: p.numLayers,
    numHeads: p.numHeads,
    numKvHeads: p.numKvHeads,
    headDim: p.headDim,
    vocabSize: p.vocabSize,
    rmsNormEps: 1e-6,
    ropeTheta: p.ropeTheta,
    ropeScaling: null,
    maxPositionEmbeddings: p.maxPositionEmbeddings,
    tieWordEmbeddings: p.tieWordEmbeddings,
    attentionBias: !isQwen3,
    qkNorm: isQwen3,
    bosTokenId: ids.bosTokenId,
    eosTokenIds: ids.eosTokenIds,
    torchDtype,
    raw,
  };
}
