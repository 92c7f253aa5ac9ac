/**
 * The fused native decode step (engine `decodeStep`) against the per-kernel step
 * (Decoder.stepKernels) and the TypeScript fallback, on random models: Qwen2 with biases,
 * Qwen3 (q/k norm, head_dim independent of hidden), YaRN tables, GQA and MHA, odd sizes;
 * single streams appending to their prompt cache and groups sharing a prefix; every ISA and
 * 1 and 2 threads (bit-identical across thread counts: the step's phases split rows, heads
 * and columns by thread count); LoRA policies keep the kernel path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels, nativeKernels } from '../../src/engine/index.ts';
import type { NativeKernels } from '../../src/engine/native.ts';
import type { Kernels } from '../../src/engine/kernels.ts';
import { QwenModel } from '../../src/model/qwen.ts';
import { KvCache } from '../../src/model/kvcache.ts';
import { Decoder, generate, type DecodeRow } from '../../src/model/generate.ts';
import { LoraAdapters } from '../../src/model/lora.ts';
import type { ModelWeights } from '../../src/model/weights.ts';
import { maxAbsDiff, randomIds, randomWeights, tinyConfig } from './helpers.ts';

const nat = nativeKernels() as NativeKernels | null;
const skip = nat ? false : 'native addon unavailable';

const CONFIGS: [string, Record<string, unknown>][] = [
  ['qwen2 biases, GQA 4/2', {}],
  ['qwen3 q/k norm, head_dim 24 != hidden/H', { model_type: 'qwen3', head_dim: 24, attention_bias: false }],
  ['odd sizes (hidden 40, inter 37, H 6, Hkv 3, D 10)', { hidden_size: 40, intermediate_size: 37, num_attention_heads: 6, num_key_value_heads: 3, head_dim: 10, vocab_size: 67 }],
  ['MHA, YaRN', { num_key_value_heads: 4, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 64 } }],
  ['GQA 8/1, wide', { hidden_size: 64, intermediate_size: 130, num_attention_heads: 8, num_key_value_heads: 1, head_dim: 8, num_hidden_layers: 3 }],
  // Big enough that the matmuls and the attention take the pool's parallel paths.
  ['parallel paths, the queries of a group one per lane, padded lanes and two lane blocks (hidden 256, D 64, GQA 4/1, 700-token prompt)', { hidden_size: 256, intermediate_size: 704, num_attention_heads: 4, num_key_value_heads: 1, head_dim: 64, num_hidden_layers: 1, vocab_size: 1200, max_position_embeddings: 1024 }],
  // Two threads on odd shapes: heads of 10 columns split QKV at columns that are not
  // multiples of 4 (mm_group's tail sums), odd intermediate and vocabulary column splits.
  ['parallel paths, odd splits (hidden 250, D 10, H 6, Hkv 2, inter 701, vocab 1001)', { hidden_size: 250, intermediate_size: 701, num_attention_heads: 6, num_key_value_heads: 2, head_dim: 10, num_hidden_layers: 1, vocab_size: 1001 }],
];

/** Two prompts of different lengths; layout: one single stream each, or groups of 2 and 3. */
function makeRows(model: QwenModel, prompts: Int32Array[], grouped: boolean, extra: number): DecodeRow[] {
  const d = model.weights.dims;
  const rows: DecodeRow[] = [];
  prompts.forEach((p, i) => {
    const prefix = new KvCache(d.layers, d.kvDim, p.length + (grouped ? 0 : extra));
    model.prefill(p, prefix);
    const n = grouped ? 2 + i : 1;
    for (let j = 0; j < n; j++) rows.push({ token: 0, prefix, suffix: grouped ? new KvCache(d.layers, d.kvDim, extra) : null });
  });
  return rows;
}

/** Runs `steps` decode steps; returns the logits of every step, concatenated. */
function run(model: QwenModel, prompts: Int32Array[], grouped: boolean, steps: number, fused: boolean): { logits: Float32Array; dec: Decoder; rows: DecodeRow[] } {
  const rows = makeRows(model, prompts, grouped, steps + 1);
  const dec = new Decoder(model, rows.length);
  dec.fused = fused;
  const V = model.weights.dims.vocab;
  const out = new Float32Array(steps * rows.length * V);
  for (let s = 0; s < steps; s++) {
    rows.forEach((r, i) => (r.token = (s * 13 + i * 7 + 3) % V));
    out.set(dec.step(rows), s * rows.length * V);
  }
  return { logits: out, dec, rows };
}

function modelOn(w: ModelWeights, k: Kernels): QwenModel {
  const m = new QwenModel(w, null, k);
  m.prefillChunk = 16; // the prompts cross prefill chunks too
  return m;
}

const PROMPTS = (vocab: number, long: boolean) => [randomIds(long ? 700 : 150, vocab, 1), randomIds(37, vocab, 2)];

for (const [name, over] of CONFIGS) {
  test(`fused decode == per-kernel decode and the TS fallback: ${name}`, { skip }, () => {
    const w = randomWeights(tinyConfig({ max_position_embeddings: 512, ...over }), 7);
    const prompts = PROMPTS(w.dims.vocab, w.dims.hidden >= 256);
    const js = modelOn(w, jsKernels());
    for (const grouped of [false, true]) {
      const ref = run(js, prompts, grouped, 5, true);
      assert.equal(ref.dec.usesFused, false, 'the TS fallback has no fused step');
      for (const isa of ['avx512', 'avx2', 'portable']) {
        nat!.setIsa(isa);
        const outs: Float32Array[] = [];
        for (const t of [1, 2]) {
          nat!.setThreads(t);
          const m = modelOn(w, nat!);
          const fused = run(m, prompts, grouped, 5, true);
          assert.equal(fused.dec.usesFused, true);
          const kern = run(m, prompts, grouped, 5, false);
          const tag = `${isa} threads=${t} grouped=${grouped}`;
          assert.ok(maxAbsDiff(fused.logits, kern.logits) < 2e-4, `${tag}: fused vs kernels ${maxAbsDiff(fused.logits, kern.logits)}`);
          assert.ok(maxAbsDiff(fused.logits, ref.logits) < 2e-4, `${tag}: fused vs TS fallback ${maxAbsDiff(fused.logits, ref.logits)}`);
          // The caches the fused step wrote hold the same keys and values.
          fused.rows.forEach((r, i) => {
            const a = (r.suffix ?? r.prefix);
            const b = (kern.rows[i]!.suffix ?? kern.rows[i]!.prefix);
            assert.equal(a.length, b.length);
            assert.ok(maxAbsDiff(a.data, b.data) < 1e-4, `${tag}: cache of row ${i}`);
          });
          outs.push(fused.logits);
        }
        assert.deepEqual(outs[0], outs[1], `${isa}: fused step differs between 1 and 2 threads`);
      }
      nat!.setIsa('avx512');
      nat!.setThreads(64);
    }
  });
}

test('generate on the fused path samples what the TS fallback samples', { skip }, () => {
  const w = randomWeights(tinyConfig({ model_type: 'qwen3', head_dim: 16 }), 11);
  const prompts = [Array.from(randomIds(40, w.dims.vocab, 3)), Array.from(randomIds(9, w.dims.vocab, 4))];
  const params = { n: 3, maxTokens: 12, temperature: 1, topP: 1, topK: 0, seed: 5 };
  const a = generate(modelOn(w, nat!), prompts, params);
  const b = generate(modelOn(w, jsKernels()), prompts, params);
  for (let p = 0; p < prompts.length; p++)
    for (let s = 0; s < params.n; s++) {
      assert.deepEqual(a[p]![s]!.tokens, b[p]![s]!.tokens);
      assert.ok(maxAbsDiff(a[p]![s]!.logprobs, b[p]![s]!.logprobs) < 1e-4);
    }
});

test('a policy with unmerged LoRA adapters decodes kernel by kernel', { skip }, () => {
  const cfg = tinyConfig();
  const m = new QwenModel(randomWeights(cfg, 2), new LoraAdapters(cfg, { rank: 2, alpha: 4, seed: 1 }), nat!);
  assert.equal(new Decoder(m, 2).usesFused, false);
  const plain = new QwenModel(randomWeights(cfg, 2), null, nat!);
  const dec = new Decoder(plain, 2);
  assert.equal(dec.usesFused, true);
  plain.lora = new LoraAdapters(cfg, { rank: 2, alpha: 4, seed: 1 });
  assert.equal(dec.usesFused, false, 'adapters attached after the decoder was made are honoured');
});

test('decodeStep rejects a KV cache overflow and out-of-range ids instead of writing past them', { skip }, () => {
  const m = modelOn(randomWeights(tinyConfig(), 3), nat!);
  const d = m.weights.dims;
  const prefix = new KvCache(d.layers, d.kvDim, 4);
  m.prefill(randomIds(4, d.vocab, 1), prefix);
  const dec = new Decoder(m, 1);
  assert.throws(() => dec.step([{ token: 1, prefix, suffix: null }]), /overflow/);
  const roomy = new KvCache(d.layers, d.kvDim, 8);
  m.prefill(randomIds(4, d.vocab, 1), roomy);
  assert.throws(() => dec.step([{ token: d.vocab, prefix: roomy, suffix: null }]), /vocabulary/);
});
