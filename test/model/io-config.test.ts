import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { parseModelConfig, modelConfigToHF, readModelConfig } from '../../src/model/config.ts';
import { UserError } from '../../src/util/errors.ts';

const ORACLES = fileURLToPath(new URL('../../../shared/data/model-oracles/', import.meta.url));

test('reads the qwen2-tiny oracle config', () => {
  const c = readModelConfig(join(ORACLES, 'qwen2-tiny'));
  assert.equal(c.modelType, 'qwen2');
  assert.equal(c.hiddenSize, 64);
  assert.equal(c.intermediateSize, 176);
  assert.equal(c.numLayers, 2);
  assert.equal(c.numHeads, 4);
  assert.equal(c.numKvHeads, 2);
  assert.equal(c.headDim, 16);
  assert.equal(c.vocabSize, 512);
  assert.equal(c.rmsNormEps, 1e-6);
  assert.equal(c.ropeTheta, 10000);
  assert.equal(c.ropeScaling, null);
  assert.equal(c.tieWordEmbeddings, true);
  assert.equal(c.attentionBias, true);
  assert.equal(c.qkNorm, false);
  assert.equal(c.torchDtype, 'float32');
  assert.deepEqual(c.eosTokenIds, []);
  assert.equal(c.bosTokenId, null);
  const back = modelConfigToHF(c);
  assert.equal(back['sliding_window'], 4096, 'unknown keys survive');
  assert.deepEqual(parseModelConfig(back, 'x'), { ...c, raw: back });
});

const QWEN3 = {
  architectures: ['Qwen3ForCausalLM'], model_type: 'qwen3', hidden_size: 1024, intermediate_size: 3072,
  num_hidden_layers: 28, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, vocab_size: 151936,
  max_position_embeddings: 40960, rope_theta: 1000000, tie_word_embeddings: true, rms_norm_eps: 1e-6,
  dtype: 'bfloat16', eos_token_id: [151645, 151643], bos_token_id: 151643,
  rope_scaling: { type: 'yarn', factor: 4.0, original_max_position_embeddings: 32768 },
};

test('qwen3: head_dim, q/k norm, no bias, dtype key, eos list, yarn with "type"', () => {
  const c = parseModelConfig(QWEN3, 'q3/config.json');
  assert.equal(c.modelType, 'qwen3');
  assert.equal(c.headDim, 128);
  assert.equal(c.qkNorm, true);
  assert.equal(c.attentionBias, false);
  assert.equal(c.torchDtype, 'bfloat16');
  assert.deepEqual(c.eosTokenIds, [151645, 151643]);
  assert.equal(c.bosTokenId, 151643);
  assert.deepEqual(c.ropeScaling, { type: 'yarn', factor: 4, originalMaxPositionEmbeddings: 32768 });
  const hf = modelConfigToHF(c);
  assert.equal(hf['head_dim'], 128);
  assert.equal((hf['rope_scaling'] as Record<string, unknown>)['rope_type'], 'yarn');
  assert.equal(hf['dtype'], 'bfloat16');
  const again = parseModelConfig(JSON.parse(JSON.stringify(hf)), 'again');
  assert.deepEqual({ ...again, raw: null }, { ...c, raw: null });
});

test('eos as int, rope_type key, rope_parameters form, defaults', () => {
  const c = parseModelConfig({ model_type: 'qwen2', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1,
    num_attention_heads: 4, vocab_size: 100, eos_token_id: 7, torch_dtype: 'bfloat16',
    rope_scaling: { rope_type: 'linear', factor: 2 } }, 'a');
  assert.deepEqual(c.eosTokenIds, [7]);
  assert.equal(c.numKvHeads, 4);
  assert.equal(c.headDim, 16);
  assert.equal(c.tieWordEmbeddings, false);
  assert.deepEqual(c.ropeScaling, { type: 'linear', factor: 2 });
  const d = parseModelConfig({ model_type: 'qwen3', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1,
    num_attention_heads: 4, num_key_value_heads: 2, head_dim: 32, vocab_size: 100,
    rope_parameters: { rope_type: 'yarn', rope_theta: 5e5, factor: 8, beta_fast: 32, beta_slow: 1 } }, 'b');
  assert.equal(d.ropeTheta, 5e5);
  assert.deepEqual(d.ropeScaling, { type: 'yarn', factor: 8, betaFast: 32, betaSlow: 1 });
  const back = parseModelConfig(modelConfigToHF(d), 'c');
  assert.equal(back.ropeTheta, 5e5);
  assert.deepEqual(back.ropeScaling, d.ropeScaling);
});

test('bad configs give a UserError naming source and field', () => {
  const base = { model_type: 'qwen2', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1, num_attention_heads: 4, vocab_size: 100 };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...base, model_type: 'llama' }, /model_type/],
    [{ ...base, hidden_size: '64' }, /hidden_size/],
    [{ ...base, vocab_size: undefined }, /vocab_size.*missing/],
    [{ ...base, num_key_value_heads: 3 }, /num_key_value_heads/],
    [{ ...base, eos_token_id: 'x' }, /eos_token_id/],
    [{ ...base, rope_scaling: { type: 'mrope', factor: 2 } }, /rope_scaling.rope_type/],
    [{ ...base, rope_scaling: { type: 'yarn' } }, /rope_scaling.factor/],
    [{ ...base, rms_norm_eps: -1 }, /rms_norm_eps/],
  ];
  for (const [json, re] of cases) {
    assert.throws(() => parseModelConfig(json, 'dir/config.json'), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /dir\/config\.json/);
      assert.match(e.message, re);
      return true;
    });
  }
  assert.throws(() => readModelConfig('/nonexistent-dir'), UserError);
});
