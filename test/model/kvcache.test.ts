/**
 * The KV-cache path against the oracles (prefill, then one token at a time), greedy
 * decoding against the argmax of a full forward, grouped decoding (shared prefix, merged
 * attention) against single-row decoding, and sampling log-probabilities against what a
 * full forward recomputes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readModelConfig } from '../../src/model/config.ts';
import { readModelWeights } from '../../src/model/safetensors.ts';
import { ModelWeights } from '../../src/model/weights.ts';
import { QwenModel } from '../../src/model/qwen.ts';
import { KvCache } from '../../src/model/kvcache.ts';
import { Decoder, generate } from '../../src/model/generate.ts';
import { ORACLES, maxAbsDiff, oracleCases, randomIds, randomWeights, shiftTargets, tinyConfig } from './helpers.ts';

function logSoftmaxAt(logits: Float32Array, id: number): number {
  let m = -Infinity;
  for (const z of logits) m = Math.max(m, z);
  let s = 0;
  for (const z of logits) s += Math.exp(z - m);
  return logits[id]! - m - Math.log(s);
}

for (const name of ['qwen2-tiny', 'qwen2-tiny-bf16']) {
  test(`KV-cache decode token by token matches the ${name} oracle`, () => {
    const dir = ORACLES + name;
    const model = new QwenModel(ModelWeights.fromTensors(readModelConfig(dir), readModelWeights(dir)));
    const d = model.weights.dims;
    const dec = new Decoder(model, 4);
    for (const c of oracleCases(name)) {
      if (c.length < 2) continue;
      for (const prefill of [1, Math.floor(c.length / 2)]) {
        const ids = c.input_ids;
        const prefix = new KvCache(d.layers, d.kvDim, prefill);
        let logits = model.prefill(Int32Array.from(ids.slice(0, prefill)), prefix);
        const suffix = new KvCache(d.layers, d.kvDim, c.length);
        let worst = 0;
        for (let t = prefill - 1; t < c.length - 1; t++) {
          if (t > prefill - 1) logits = dec.step([{ token: ids[t]!, prefix, suffix }]).slice();
          worst = Math.max(worst, Math.abs(logSoftmaxAt(logits, ids[t + 1]!) - c.next_token_logprobs[t]!));
        }
        logits = dec.step([{ token: ids[c.length - 1]!, prefix, suffix }]);
        const errLast = maxAbsDiff(logits, c.last_logits);
        assert.ok(worst <= 1e-4, `${c.name} prefill ${prefill}: logprob error ${worst}`);
        assert.ok(errLast <= 1e-4, `${c.name} prefill ${prefill}: last logits error ${errLast}`);
      }
    }
  });
}

test('grouped decode (shared prefix, merged attention) equals one-row decode, qwen3 config', () => {
  const cfg = tinyConfig({ model_type: 'qwen3', head_dim: 12, tie_word_embeddings: false });
  const model = new QwenModel(randomWeights(cfg, 21, 0.2));
  const d = model.weights.dims;
  const prompt = randomIds(17, cfg.vocabSize, 4);
  const prefix = new KvCache(d.layers, d.kvDim, prompt.length);
  model.prefill(prompt, prefix);
  const conts = [randomIds(6, cfg.vocabSize, 5), randomIds(6, cfg.vocabSize, 6), randomIds(6, cfg.vocabSize, 7)];
  const dec = new Decoder(model, 3);
  const sufs = conts.map(() => new KvCache(d.layers, d.kvDim, 6));
  const grouped: Float32Array[][] = conts.map(() => []);
  for (let t = 0; t < 6; t++) {
    const logits = dec.step(conts.map((c, i) => ({ token: c[t]!, prefix, suffix: sufs[i]! })));
    conts.forEach((_, i) => grouped[i]!.push(logits.slice(i * d.vocab, (i + 1) * d.vocab)));
  }
  // Reference: the full forward of prompt ++ continuation.
  conts.forEach((c, i) => {
    const full = Int32Array.from([...prompt, ...c]);
    for (let t = 0; t < 6; t++) {
      const ref = model.lastLogits(full.subarray(0, prompt.length + t + 1));
      const err = maxAbsDiff(grouped[i]![t]!, ref);
      assert.ok(err < 2e-5, `sample ${i} step ${t}: ${err}`);
    }
  });
});

test('greedy decoding equals the argmax of the full forward; samples do not depend on batching', () => {
  const cfg = tinyConfig();
  const model = new QwenModel(randomWeights(cfg, 22, 0.3));
  const prompt = Array.from(randomIds(9, cfg.vocabSize, 8));
  const [greedy] = generate(model, [prompt], { n: 2, temperature: 0, topP: 1, topK: 0, maxTokens: 12, seed: 1 });
  assert.deepEqual(greedy![0]!.tokens, greedy![1]!.tokens);
  // n = 1 takes the single-cache path (tokens appended to the prompt's cache).
  const [single] = generate(model, [prompt], { n: 1, temperature: 0, topP: 1, topK: 0, maxTokens: 12, seed: 1 });
  assert.deepEqual(single![0]!.tokens, greedy![0]!.tokens);
  single![0]!.logprobs.forEach((lp, t) => assert.ok(Math.abs(lp - greedy![0]!.logprobs[t]!) < 1e-5));
  const seq = [...prompt];
  for (let t = 0; t < 12; t++) {
    const logits = model.lastLogits(Int32Array.from(seq));
    let am = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[am]!) am = i;
    assert.equal(greedy![0]!.tokens[t], am, `step ${t}`);
    seq.push(am);
  }
  const params = { n: 3, temperature: 1, topP: 0.9, topK: 20, maxTokens: 10, seed: 42 };
  const p2 = Array.from(randomIds(5, cfg.vocabSize, 9));
  const together = generate(model, [prompt, p2], params, { maxBatchRows: 6 });
  const alone = generate(model, [prompt, p2], params, { maxBatchRows: 3 });
  assert.deepEqual(together.map((g) => g.map((s) => s.tokens)), alone.map((g) => g.map((s) => s.tokens)));
  const again = generate(model, [prompt, p2], params, { maxBatchRows: 6 });
  assert.deepEqual(together, again);
});

test('sampling logprobs agree with the forward recomputation (temperature 0.8)', () => {
  const cfg = tinyConfig();
  const model = new QwenModel(randomWeights(cfg, 23, 0.3));
  const prompt = Array.from(randomIds(11, cfg.vocabSize, 10));
  const temperature = 0.8;
  const out = generate(model, [prompt], { n: 4, temperature, topP: 1, topK: 0, maxTokens: 16, seed: 3 });
  let gap = 0;
  for (const s of out[0]!) {
    const ids = Int32Array.from([...prompt, ...s.tokens.slice(0, -1)]);
    const tg = shiftTargets(Int32Array.from([...prompt, ...s.tokens]));
    const r = model.forwardSequence(ids, tg.subarray(0, ids.length), null, { invTemp: 1 / temperature });
    for (let t = 0; t < s.tokens.length; t++) gap = Math.max(gap, Math.abs(r.logprobs[prompt.length - 1 + t]! - s.logprobs[t]!));
  }
  assert.ok(gap < 1e-4, `max gap ${gap}`);
});

test('stop token ids and stop strings end a sequence', () => {
  const cfg = tinyConfig();
  const model = new QwenModel(randomWeights(cfg, 24, 0.3));
  const prompt = [1, 2, 3];
  const free = generate(model, [prompt], { n: 1, temperature: 1, topP: 1, topK: 0, maxTokens: 20, seed: 5 })[0]![0]!;
  const stopAt = free.tokens[4]!;
  const first = free.tokens.indexOf(stopAt);
  const s = generate(model, [prompt], { n: 1, temperature: 1, topP: 1, topK: 0, maxTokens: 20, seed: 5, stopTokenIds: [stopAt] })[0]![0]!;
  assert.deepEqual(s.tokens, free.tokens.slice(0, first + 1));
  assert.equal(s.finishReason, 'stop');
  const decode = (ids: readonly number[]) => ids.map((i) => `<${i}>`).join('');
  const s2 = generate(model, [prompt], { n: 1, temperature: 1, topP: 1, topK: 0, maxTokens: 20, seed: 5, stopStrings: [`<${stopAt}>`] }, { decode })[0]![0]!;
  assert.deepEqual(s2.tokens, s.tokens);
  const s3 = generate(model, [prompt], { n: 1, temperature: 1, topP: 1, topK: 0, maxTokens: 3, seed: 5 })[0]![0]!;
  assert.equal(s3.finishReason, 'length');
  assert.equal(s3.tokens.length, 3);
});

test('chunked prefill and chunked inference forward match the oracle (chunk 37 rows)', () => {
  const dir = ORACLES + 'qwen2-tiny';
  const model = new QwenModel(ModelWeights.fromTensors(readModelConfig(dir), readModelWeights(dir)));
  model.prefillChunk = 37;
  const d = model.weights.dims;
  const c = oracleCases('qwen2-tiny').find((x) => x.name === 'len300')!;
  const ids = Int32Array.from(c.input_ids);
  const r = model.forwardSequence(ids, shiftTargets(ids), null);
  assert.ok(maxAbsDiff(r.logprobs, c.next_token_logprobs, c.length - 1) <= 1e-4);
  const mask = new Float32Array(ids.length).fill(0).fill(1, 100, 250);
  const rm = model.forwardSequence(ids, shiftTargets(ids), mask);
  for (let t = 0; t < c.length - 1; t++) assert.equal(rm.logprobs[t], mask[t] ? r.logprobs[t] : 0);
  const prefix = new KvCache(d.layers, d.kvDim, 200);
  const logits = model.prefill(ids.subarray(0, 200), prefix);
  assert.ok(Math.abs(logSoftmaxAt(logits, ids[200]!) - c.next_token_logprobs[199]!) <= 1e-4);
  const suffix = new KvCache(d.layers, d.kvDim, 100);
  const dec = new Decoder(model, 1);
  let last = logits;
  for (let t = 200; t < c.length; t++) last = dec.step([{ token: ids[t]!, prefix, suffix }]);
  assert.ok(maxAbsDiff(last, c.last_logits) <= 1e-4);
});
