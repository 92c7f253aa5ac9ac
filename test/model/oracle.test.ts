/**
 * The forward pass against ../shared/data/model-oracles (float64 references made with
 * PyTorch from HF semantics): 1e-4 absolute on next-token logprobs and last logits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readModelConfig } from '../../src/model/config.ts';
import { readModelWeights } from '../../src/model/safetensors.ts';
import { ModelWeights } from '../../src/model/weights.ts';
import { QwenModel } from '../../src/model/qwen.ts';
import { ORACLES, maxAbsDiff, oracleCases, shiftTargets } from './helpers.ts';

for (const name of ['qwen2-tiny', 'qwen2-tiny-bf16']) {
  test(`full forward matches the ${name} oracle within 1e-4`, () => {
    const dir = ORACLES + name;
    const cfg = readModelConfig(dir);
    const model = new QwenModel(ModelWeights.fromTensors(cfg, readModelWeights(dir)));
    for (const c of oracleCases(name)) {
      const ids = Int32Array.from(c.input_ids);
      const r = model.forwardSequence(ids, shiftTargets(ids), null);
      const errLp = maxAbsDiff(r.logprobs, c.next_token_logprobs, c.length - 1);
      const logits = model.lastLogits(ids);
      const errLogits = maxAbsDiff(logits, c.last_logits);
      assert.ok(errLp <= 1e-4, `${name}/${c.name}: logprob error ${errLp}`);
      assert.ok(errLogits <= 1e-4, `${name}/${c.name}: last-logits error ${errLogits}`);
      let am = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[am]!) am = i;
      assert.equal(am, c.last_argmax);
    }
  });
}

test('logit chunks: logprobs are the same for any chunk rows, and so are gradients up to the head weight sum order', () => {
  const dir = ORACLES + 'qwen2-tiny';
  const weights = ModelWeights.fromTensors(readModelConfig(dir), readModelWeights(dir));
  const c = oracleCases('qwen2-tiny').find((x) => x.length >= 300)!;
  const ids = Int32Array.from(c.input_ids);
  const run = (rows: number | null) => {
    const model = new QwenModel(weights);
    if (rows !== null) model.setLogitChunkRows(rows);
    model.enableGrads();
    const r = model.forwardSequence(ids, shiftTargets(ids), null, { keepTape: true, entropy: true });
    const dl = new Float32Array(ids.length).fill(-1 / ids.length);
    const de = new Float32Array(ids.length).fill(0.01);
    model.backwardSequence(r.tape, dl, de);
    return { model, logprobs: r.logprobs, entropy: r.entropy!, grads: (model as unknown as { grads: Float32Array }).grads };
  };
  const one = run(null);
  assert.ok(one.model.chunkRows >= ids.length, 'the default takes the whole sequence in one chunk');
  const many = run(64);  // 299 active rows: four whole chunks and a partial one
  assert.deepEqual(many.logprobs, one.logprobs);
  assert.deepEqual(many.entropy, one.entropy);
  let maxG = 0;
  for (const g of one.grads) maxG = Math.max(maxG, Math.abs(g));
  assert.ok(maxG > 0);
  assert.ok(maxAbsDiff(many.grads, one.grads, one.grads.length) <= 1e-6 * maxG, 'gradients agree');
  assert.throws(() => one.model.setLogitChunkRows(0), /logit chunk rows/);
});
