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
