/**
 * Backward against central finite differences: for each parameter tensor, a random
 * direction v; the analytic directional derivative g·v must match
 * (L(θ+εv) − L(θ−εv)) / 2ε. Covers qwen2 (biases, tied), qwen3 (q/k norm, head_dim ≠
 * hidden/heads, untied), temperature, entropy and LoRA adapters.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QwenModel } from '../../src/model/qwen.ts';
import { LoraAdapters } from '../../src/model/lora.ts';
import { Rng } from '../../src/util/rng.ts';
import { randomIds, randomWeights, shiftTargets, tinyConfig } from './helpers.ts';
import type { ModelConfig } from '../../src/model/config.ts';

interface Setup { cfg: ModelConfig; invTemp: number; entropyCoef: number; lora: boolean }

function lossOf(model: QwenModel, ids: Int32Array, tg: Int32Array, mask: Float32Array, coef: Float32Array, s: Setup): number {
  const r = model.forwardSequence(ids, tg, mask, { invTemp: s.invTemp, entropy: s.entropyCoef !== 0 });
  let L = 0;
  for (let t = 0; t < ids.length; t++) {
    L += coef[t]! * r.logprobs[t]!;
    if (r.entropy) L += s.entropyCoef * r.entropy[t]!;
  }
  return L;
}

function check(s: Setup, label: string): void {
  const T = 23;
  const cfg = s.cfg;
  const w = randomWeights(cfg, 7, 0.25);
  const ids = randomIds(T, cfg.vocabSize, 3);
  const tg = shiftTargets(ids);
  const mask = new Float32Array(T).fill(1);
  mask[2] = 0; // a masked row must not contribute
  const rng = new Rng(11);
  const coef = Float32Array.from({ length: T }, () => rng.float() * 2 - 1);
  let lora: LoraAdapters | null = null;
  if (s.lora) {
    lora = new LoraAdapters(cfg, { rank: 3, alpha: 6, seed: 5 });
    for (let i = 0; i < lora.data.length; i++) lora.data[i] = rng.normal() * 0.2; // B non-zero so A's gradient is checked
    lora.enableGrads();
  }
  const model = new QwenModel(w, lora);
  if (!s.lora) model.enableGrads();
  const r = model.forwardSequence(ids, tg, mask, { invTemp: s.invTemp, entropy: s.entropyCoef !== 0, keepTape: true });
  const dLp = new Float32Array(T);
  for (let t = 0; t < T; t++) dLp[t] = mask[t] ? coef[t]! : 0;
  const dEnt = s.entropyCoef !== 0 ? new Float32Array(T).map((_, t) => (mask[t] ? s.entropyCoef : 0)) : null;
  model.backwardSequence(r.tape, dLp, dEnt);
  const params = s.lora ? lora!.data : w.data;
  const grads = s.lora ? lora!.grads! : model.grads!;
  const groups: { name: string; offset: number; size: number }[] = s.lora
    ? [{ name: 'lora', offset: 0, size: params.length }]
    : w.entries;
  const eps = 1e-3;
  let worst = 0;
  for (const e of groups) {
    const v = new Float32Array(e.size).map(() => rng.normal());
    let analytic = 0;
    for (let i = 0; i < e.size; i++) analytic += grads[e.offset + i]! * v[i]!;
    const orig = params.slice(e.offset, e.offset + e.size);
    const shift = (sgn: number) => { for (let i = 0; i < e.size; i++) params[e.offset + i] = orig[i]! + sgn * eps * v[i]!; };
    shift(1);
    const lp = lossOf(model, ids, tg, mask, coef, s);
    shift(-1);
    const lm = lossOf(model, ids, tg, mask, coef, s);
    params.set(orig, e.offset);
    const numeric = (lp - lm) / (2 * eps);
    const rel = Math.abs(analytic - numeric) / Math.max(0.5, Math.abs(numeric));
    worst = Math.max(worst, rel);
    assert.ok(rel < 1e-2, `${label} ${e.name}: analytic ${analytic} vs numeric ${numeric} (rel ${rel})`);
  }
  assert.ok(worst < 1e-2);
}

test('qwen2 gradients (biases, tied embeddings) match finite differences', () => {
  check({ cfg: tinyConfig(), invTemp: 1, entropyCoef: 0, lora: false }, 'qwen2');
});

test('qwen3 gradients (q/k norm, head_dim 12 ≠ 32/4, untied) with temperature and entropy', () => {
  const cfg = tinyConfig({ model_type: 'qwen3', head_dim: 12, tie_word_embeddings: false, attention_bias: false });
  assert.equal(cfg.qkNorm, true);
  check({ cfg, invTemp: 1 / 0.7, entropyCoef: 0.3, lora: false }, 'qwen3');
});

test('LoRA adapter gradients match finite differences (base frozen)', () => {
  check({ cfg: tinyConfig(), invTemp: 1, entropyCoef: 0, lora: true }, 'lora');
});

test('backward with kept activations and logits equals backward with recompute (bitwise)', () => {
  const cfg = tinyConfig({ model_type: 'qwen3', head_dim: 12 });
  const T = 19;
  const ids = randomIds(T, cfg.vocabSize, 8);
  const tg = shiftTargets(ids);
  const dLp = new Float32Array(T).map((_, t) => (t % 3 === 0 ? 0 : -0.1 * (t + 1)));
  const dEnt = new Float32Array(T).fill(0.05);
  const grads: Float32Array[] = [];
  for (const extra of [0, 1e9, 3000]) {
    const model = new QwenModel(randomWeights(cfg, 9, 0.2));
    model.enableGrads();
    const r = model.forwardSequence(ids, tg, null, { entropy: true, keepTape: true, extraBudgetBytes: extra });
    if (extra === 1e9) assert.ok(r.tape.logits && r.tape.layerActs?.every((a) => a !== null));
    model.backwardSequence(r.tape, dLp, dEnt);
    grads.push(model.grads!);
  }
  assert.deepEqual(grads[1], grads[0]);
  assert.deepEqual(grads[2], grads[0]);
});
