/**
 * Qwen3 (q/k norm, head_dim ≠ hidden/heads, untied, no bias) and rope_scaling (yarn,
 * linear) against the independent float64 reference of reference64.ts; RoPE frequencies
 * against the oracle's; the KV-cache path against the full forward under YaRN.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { QwenModel } from '../../src/model/qwen.ts';
import { KvCache } from '../../src/model/kvcache.ts';
import { Decoder } from '../../src/model/generate.ts';
import { ropeParameters } from '../../src/model/rope.ts';
import { readModelConfig } from '../../src/model/config.ts';
import { ORACLES, maxAbsDiff, randomIds, randomWeights, tinyConfig } from './helpers.ts';
import { logSoftmax, referenceLogits, refInvFreq } from './reference64.ts';

const yarn = { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32 };

function compare(over: Record<string, unknown>, T: number): { err: number; errOther: number } {
  const cfg = tinyConfig(over);
  const w = randomWeights(cfg, 41, 0.2);
  const ids = Array.from(randomIds(T, cfg.vocabSize, 42));
  const ref = referenceLogits(w, ids).map(logSoftmax);
  const model = new QwenModel(w);
  const tg = new Int32Array(T).fill(-1);
  tg.set(ids.slice(1));
  const r = model.forwardSequence(Int32Array.from(ids), tg, null);
  let err = 0;
  for (let t = 0; t < T - 1; t++) err = Math.max(err, Math.abs(r.logprobs[t]! - ref[t]![ids[t + 1]!]!));
  const last = model.lastLogits(Int32Array.from(ids));
  const refLast = referenceLogits(w, ids)[T - 1]!;
  err = Math.max(err, maxAbsDiff(last, refLast));
  // The same weights without rope scaling must be measurably different (the test can fail).
  const plain = new QwenModel(randomWeights(tinyConfig({ ...over, rope_scaling: null }), 41, 0.2));
  const rp = plain.forwardSequence(Int32Array.from(ids), tg, null);
  let errOther = 0;
  for (let t = 0; t < T - 1; t++) errOther = Math.max(errOther, Math.abs(rp.logprobs[t]! - ref[t]![ids[t + 1]!]!));
  return { err, errOther };
}

test('default RoPE frequencies equal the oracle\'s inv_freq', () => {
  const cfg = readModelConfig(ORACLES + 'qwen2-tiny');
  const cases = JSON.parse(readFileSync(ORACLES + 'qwen2-tiny/cases.json', 'utf8')) as { rope: { inv_freq: number[]; attention_scaling: number } };
  const p = ropeParameters(cfg);
  assert.ok(maxAbsDiff(p.invFreq, cases.rope.inv_freq) < 1e-15);
  assert.equal(p.attentionFactor, cases.rope.attention_scaling);
});

test('YaRN parameters: ramp between the correction dims, attention factor 0.1 ln(s) + 1', () => {
  const cfg = tinyConfig({ head_dim: 16, rope_scaling: yarn, rope_theta: 10000 });
  const p = ropeParameters(cfg);
  const r = refInvFreq(cfg);
  assert.ok(maxAbsDiff(p.invFreq, r.inv) < 1e-15);
  assert.ok(Math.abs(p.attentionFactor - (0.1 * Math.log(4) + 1)) < 1e-15);
  // Highest frequency extrapolated (unchanged), lowest interpolated (divided by factor).
  assert.equal(p.invFreq[0], 1);
  assert.ok(Math.abs(p.invFreq[7]! - 1 / 10000 ** (14 / 16) / 4) < 1e-18);
  const given = ropeParameters(tinyConfig({ rope_scaling: { ...yarn, attention_factor: 1.5 } }));
  assert.equal(given.attentionFactor, 1.5);
});

test('qwen3 + YaRN forward matches the float64 reference', () => {
  const { err, errOther } = compare({ model_type: 'qwen3', head_dim: 12, tie_word_embeddings: false, rope_scaling: yarn }, 80);
  assert.ok(err < 1e-4, `error ${err}`);
  assert.ok(errOther > 1e-3, `without YaRN the outputs should differ (${errOther})`);
});

test('qwen2 + linear rope scaling matches the float64 reference', () => {
  const { err, errOther } = compare({ rope_scaling: { type: 'linear', factor: 2 } }, 40);
  assert.ok(err < 1e-4, `error ${err}`);
  assert.ok(errOther > 1e-3);
});

test('KV-cache decode equals the full forward under qwen3 + YaRN past the original length', () => {
  const cfg = tinyConfig({ model_type: 'qwen3', head_dim: 12, tie_word_embeddings: false, rope_scaling: yarn });
  const model = new QwenModel(randomWeights(cfg, 43, 0.2));
  const d = model.weights.dims;
  const ids = randomIds(70, cfg.vocabSize, 44);
  const prefix = new KvCache(d.layers, d.kvDim, 30);
  model.prefill(ids.subarray(0, 30), prefix);
  const suffix = new KvCache(d.layers, d.kvDim, 40);
  const dec = new Decoder(model, 1);
  let worst = 0;
  for (let t = 30; t < 70; t++) {
    const logits = dec.step([{ token: ids[t]!, prefix, suffix }]);
    if (t % 13 === 0 || t === 69) worst = Math.max(worst, maxAbsDiff(logits, model.lastLogits(ids.subarray(0, t + 1))));
  }
  assert.ok(worst < 2e-5, `${worst}`);
});

test('dynamic NTK: default frequencies up to max_position_embeddings, rescaled base beyond', () => {
  const cfg = tinyConfig({ head_dim: 16, max_position_embeddings: 100, rope_scaling: { type: 'dynamic', factor: 2 } });
  const plain = ropeParameters(tinyConfig({ head_dim: 16, max_position_embeddings: 100 }));
  assert.deepEqual(ropeParameters(cfg, 80).invFreq, plain.invFreq);
  const at = ropeParameters(cfg, 300);
  const base = 10000 * ((2 * 300) / 100 - 1) ** (16 / 14);
  for (let i = 0; i < 8; i++) assert.ok(Math.abs(at.invFreq[i]! - 1 / base ** ((2 * i) / 16)) < 1e-15);
});
