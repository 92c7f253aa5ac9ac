/**
 * A restricted softmax vocabulary (QwenModel.setSoftmaxVocabulary): logprobs are the
 * log-softmax over the allowed ids of the full logits, excluded ids get no gradient, a
 * target outside the allowed ids is an error, and null restores the full vocabulary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QwenModel } from '../../src/model/qwen.ts';
import { randomIds, randomWeights, shiftTargets, tinyConfig } from './helpers.ts';

test('restricted softmax: log-softmax over the allowed ids, zero gradient for excluded rows, errors name the id', () => {
  const cfg = tinyConfig();
  const w = randomWeights(cfg, 3, 0.25);
  const model = new QwenModel(w);
  const V = cfg.vocabSize;
  const allowed = Array.from({ length: V }, (_, i) => i).filter((i) => i % 3 !== 1);
  const ids = Int32Array.from(randomIds(12, V, 5), (id) => allowed[id % allowed.length]!);
  const tg = shiftTargets(ids);
  const mask = new Float32Array(ids.length).fill(1);
  // Reference: full logits of each prefix, log-softmax over allowed ids only.
  const ref = Array.from({ length: ids.length - 1 }, (_, t) => {
    const logits = model.lastLogits(ids.subarray(0, t + 1));
    const m = Math.max(...allowed.map((i) => logits[i]!));
    const lse = m + Math.log(allowed.reduce((a, i) => a + Math.exp(logits[i]! - m), 0));
    return logits[tg[t]!]! - lse;
  });
  model.setSoftmaxVocabulary(allowed);
  const r = model.forwardSequence(ids, tg, mask, { invTemp: 1, entropy: true, keepTape: true });
  for (let t = 0; t < ref.length; t++) assert.ok(Math.abs(r.logprobs[t]! - ref[t]!) < 1e-4, `t=${t}: ${r.logprobs[t]} vs ${ref[t]}`);
  for (const e of r.entropy!) assert.ok(Number.isFinite(e) && e >= 0);
  model.enableGrads();
  model.backwardSequence(r.tape!, Float32Array.from(r.logprobs, () => -1), null);
  const embed = w.entries.find((e) => e.name === 'model.embed_tokens.weight')!;
  const d = cfg.hiddenSize;
  for (let id = 1; id < V; id += 3) {
    if (ids.includes(id)) continue; // an input id gets embedding gradient from the input side
    const g = model.grads!.subarray(embed.offset + id * d, embed.offset + (id + 1) * d);
    assert.ok(g.every((x) => x === 0), `excluded id ${id} has no output-side gradient`);
  }
  const bad = Int32Array.from(tg);
  bad[4] = 1;
  assert.throws(() => model.forwardSequence(ids, bad, mask, { invTemp: 1 }), /target id 1 at position 4 is outside the softmax vocabulary/);
  assert.throws(() => model.setSoftmaxVocabulary([V]), /outside \[0, 61\)/);
  model.setSoftmaxVocabulary(null);
  const full = model.forwardSequence(ids, tg, mask, { invTemp: 1 });
  const logits0 = model.lastLogits(ids.subarray(0, 1));
  const m0 = Math.max(...logits0);
  const lse0 = m0 + Math.log(logits0.reduce((a, x) => a + Math.exp(x - m0), 0));
  assert.ok(Math.abs(full.logprobs[0]! - (logits0[tg[0]!]! - lse0)) < 1e-4);
});
