/** Shared helpers for the model tests: oracle folders, tiny configs, random weights. */
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { parseModelConfig, type ModelConfig } from '../../src/model/config.ts';
import { ModelWeights } from '../../src/model/weights.ts';
import { Rng } from '../../src/util/rng.ts';

export const ORACLES = fileURLToPath(new URL('../../../shared/data/model-oracles/', import.meta.url));

export interface OracleCase { name: string; length: number; input_ids: number[]; next_token_logprobs: number[]; last_logits: number[]; last_argmax: number }

export function oracleCases(name: string): OracleCase[] {
  return (JSON.parse(readFileSync(ORACLES + name + '/cases.json', 'utf8')) as { cases: OracleCase[] }).cases;
}

/** A small config in HF JSON form, parsed by model-io's parser. */
export function tinyConfig(over: Record<string, unknown> = {}): ModelConfig {
  return parseModelConfig({
    model_type: 'qwen2', hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 61, rms_norm_eps: 1e-6,
    rope_theta: 10000, max_position_embeddings: 512, tie_word_embeddings: true, torch_dtype: 'float32',
    ...over,
  }, 'test config');
}

/** Random weights: matrices N(0, std), norm weights 1 ± 0.1, biases ± 0.05. */
export function randomWeights(cfg: ModelConfig, seed: number, std = 0.08): ModelWeights {
  const w = new ModelWeights(cfg);
  const rng = new Rng(seed);
  for (const e of w.entries) {
    const v = w.data.subarray(e.offset, e.offset + e.size);
    if (e.name.endsWith('norm.weight')) for (let i = 0; i < v.length; i++) v[i] = 1 + (2 * rng.float() - 1) * 0.1;
    else if (e.name.endsWith('.bias')) for (let i = 0; i < v.length; i++) v[i] = (2 * rng.float() - 1) * 0.05;
    else for (let i = 0; i < v.length; i++) v[i] = rng.normal() * std;
  }
  return w;
}

export function randomIds(n: number, vocab: number, seed: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(vocab));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, n = Math.min(a.length, b.length)): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Next-token targets for ids (last row -1). */
export function shiftTargets(ids: Int32Array): Int32Array {
  const t = new Int32Array(ids.length).fill(-1);
  t.set(ids.subarray(1));
  return t;
}
