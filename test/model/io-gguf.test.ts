import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { gguf } from '@huggingface/gguf';
import { buildPresetModel, initModelFolder } from '../../src/model/io/preset-model.ts';
import { writeGguf, ggufTensorName } from '../../src/model/gguf.ts';
import { readGguf, readGgufTensor } from '../../src/model/io/gguf-reader.ts';
import { readModelFolder } from '../../src/model/folder.ts';
import { parseModelConfig, modelConfigToHF } from '../../src/model/config.ts';
import type { Tensor } from '../../src/model/safetensors.ts';

import { runCliInProcess as runCli } from '../helpers/cli.ts';


test('HF → llama.cpp tensor names', () => {
  assert.equal(ggufTensorName('model.embed_tokens.weight'), 'token_embd.weight');
  assert.equal(ggufTensorName('model.layers.3.self_attn.q_proj.bias'), 'blk.3.attn_q.bias');
  assert.equal(ggufTensorName('model.layers.0.self_attn.o_proj.weight'), 'blk.0.attn_output.weight');
  assert.equal(ggufTensorName('model.layers.1.self_attn.k_norm.weight'), 'blk.1.attn_k_norm.weight');
  assert.equal(ggufTensorName('model.layers.1.input_layernorm.weight'), 'blk.1.attn_norm.weight');
  assert.equal(ggufTensorName('model.layers.1.post_attention_layernorm.weight'), 'blk.1.ffn_norm.weight');
  assert.equal(ggufTensorName('model.layers.12.mlp.down_proj.weight'), 'blk.12.ffn_down.weight');
  assert.equal(ggufTensorName('model.norm.weight'), 'output_norm.weight');
  assert.equal(ggufTensorName('lm_head.weight'), 'output.weight');
  assert.equal(ggufTensorName('model.layers.0.mlp.experts.0.w1.weight'), undefined);
});

function checkTensors(path: string, weights: Map<string, Tensor>, twoDType: number, exact: boolean): void {
  const f = readGguf(path);
  assert.equal(f.dataOffset % 32, 0);
  for (const [hf, t] of weights) {
    const name = ggufTensorName(hf)!;
    const g = readGgufTensor(f, name);
    assert.deepEqual(g.ne, [...t.shape].reverse(), name);
    assert.equal(g.type, t.shape.length >= 2 ? twoDType : 0, name);
    const info = f.tensors.find((x) => x.name === name)!;
    assert.equal(info.offset % 32, 0, name);
    for (let i = 0; i < t.data.length; i++) {
      const x = t.data[i]!;
      if (exact || t.shape.length < 2) assert.equal(g.data[i], x, name);
      else assert.ok(Math.abs(g.data[i]! - x) <= Math.max(Math.abs(x) * 2 ** -11, 2 ** -25), `${name}[${i}]`);
    }
  }
}

test('qwen2 tiny → GGUF F32: @huggingface/gguf parses it; names, shapes, metadata, exact bytes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'longrl-gguf-'));
  const m = buildPresetModel('tiny', { seed: 5 });
  const path = join(root, 'tiny-f32.gguf');
  const r = writeGguf(path, { ...m, dtype: 'F32', name: 'tiny' });
  assert.equal(r.tensors, 26);
  assert.equal(statSync(path).size, r.bytes);
  const g = await gguf(path, { allowLocalFile: true });
  const md = g.metadata as Record<string, unknown>;
  assert.equal(md['version'], 3);
  assert.equal(md['general.architecture'], 'qwen2');
  assert.equal(md['general.name'], 'tiny');
  assert.equal(md['general.file_type'], 0);
  assert.equal(md['qwen2.context_length'], 32768);
  assert.equal(md['qwen2.embedding_length'], 64);
  assert.equal(md['qwen2.block_count'], 2);
  assert.equal(md['qwen2.feed_forward_length'], 176);
  assert.equal(md['qwen2.attention.head_count'], 4);
  assert.equal(md['qwen2.attention.head_count_kv'], 2);
  assert.equal(md['qwen2.rope.freq_base'], 10000);
  assert.equal(md['qwen2.attention.layer_norm_rms_epsilon'], Math.fround(1e-6));
  assert.equal(md['tokenizer.ggml.model'], 'gpt2');
  assert.equal(md['tokenizer.ggml.pre'], 'qwen2');
  const tokens = md['tokenizer.ggml.tokens'] as string[];
  assert.equal(tokens.length, 1024);
  const vocab = (m.tokenizerJson!['model'] as { vocab: Record<string, number>; merges: string[] });
  for (const [tok, id] of Object.entries(vocab.vocab)) assert.equal(tokens[id], tok);
  assert.deepEqual(md['tokenizer.ggml.merges'], vocab.merges);
  const types = md['tokenizer.ggml.token_type'] as number[];
  const imEnd = tokens.indexOf('<|im_end|>');
  assert.equal(types[imEnd], 3, 'special → CONTROL');
  assert.equal(types[tokens.indexOf('<think>')], 4, 'added non-special → USER_DEFINED');
  assert.equal(types[0], 1);
  assert.equal(md['tokenizer.ggml.eos_token_id'], imEnd);
  assert.equal(md['tokenizer.ggml.bos_token_id'], tokens.indexOf('<|endoftext|>'));
  assert.equal(md['tokenizer.ggml.padding_token_id'], tokens.indexOf('<|endoftext|>'));
  assert.equal(md['tokenizer.chat_template'], m.tokenizerConfig!['chat_template']);
  assert.equal(g.tensorInfos.length, 26);
  assert.ok(!g.tensorInfos.some((t) => t.name === 'output.weight'), 'tied: no output.weight');
  const emb = g.tensorInfos.find((t) => t.name === 'token_embd.weight')!;
  assert.deepEqual(emb.shape, [64n, 1024n]);
  assert.equal(Number(g.tensorDataOffset) % 32, 0);
  assert.equal(Number(g.tensorDataOffset), readGguf(path).dataOffset);
  checkTensors(path, m.weights, 0, true);
  rmSync(root, { recursive: true });
});

test('F16 and BF16 GGUF: 2-D weights rounded, 1-D tensors F32', () => {
  const root = mkdtempSync(join(tmpdir(), 'longrl-gguf-'));
  const m = buildPresetModel('tiny', { seed: 6 });
  writeGguf(join(root, 'a.gguf'), { ...m, dtype: 'F16' });
  checkTensors(join(root, 'a.gguf'), m.weights, 1, false);
  assert.equal(readGguf(join(root, 'a.gguf')).metadata.get('general.file_type'), 1);
  writeGguf(join(root, 'b.gguf'), { ...m, dtype: 'BF16' });
  const f = readGguf(join(root, 'b.gguf'));
  assert.equal(f.metadata.get('general.file_type'), 32);
  const t = readGgufTensor(f, 'blk.0.attn_q.weight');
  assert.equal(t.type, 30);
  const src = m.weights.get('model.layers.0.self_attn.q_proj.weight')!.data;
  for (let i = 0; i < src.length; i++) assert.ok(Math.abs(t.data[i]! - src[i]!) <= Math.abs(src[i]!) * 2 ** -8);
  rmSync(root, { recursive: true });
});

test('qwen3 GGUF: arch qwen3, q/k norms, untied output, head_dim keys, yarn scaling; padded vocab', async () => {
  const root = mkdtempSync(join(tmpdir(), 'longrl-gguf-'));
  const m = buildPresetModel('qwen3-tiny', { seed: 2 });
  const hf = modelConfigToHF(m.config);
  hf['rope_scaling'] = { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 8192 };
  const config = parseModelConfig(hf, 'x');
  const path = join(root, 'q3.gguf');
  writeGguf(path, { ...m, config, dtype: 'F32' });
  const g = await gguf(path, { allowLocalFile: true });
  const md = g.metadata as Record<string, unknown>;
  assert.equal(md['general.architecture'], 'qwen3');
  assert.equal(md['qwen3.attention.key_length'], 32);
  assert.equal(md['qwen3.attention.value_length'], 32);
  assert.equal(md['qwen3.rope.freq_base'], 1e6);
  assert.equal(md['qwen3.rope.scaling.type'], 'yarn');
  assert.equal(md['qwen3.rope.scaling.factor'], 4);
  assert.equal(md['qwen3.rope.scaling.original_context_length'], 8192);
  const names = g.tensorInfos.map((t) => t.name);
  assert.ok(names.includes('blk.1.attn_q_norm.weight'));
  assert.ok(names.includes('blk.1.attn_k_norm.weight'));
  assert.ok(names.includes('output.weight'));
  assert.ok(!names.some((n) => n.endsWith('.bias')));
  checkTensors(path, m.weights, 0, true);
  // demo: the tokenizer is smaller than the embedding; the vocabulary is padded as convert_hf_to_gguf does.
  const d = buildPresetModel('demo');
  writeGguf(join(root, 'demo.gguf'), { ...d, dtype: 'F16' });
  const f = readGguf(join(root, 'demo.gguf'));
  const tokens = f.metadata.get('tokenizer.ggml.tokens') as string[];
  const types = f.metadata.get('tokenizer.ggml.token_type') as number[];
  assert.equal(tokens.length, 2048);
  assert.equal(tokens[2047], '[PAD2047]');
  assert.equal(types[2047], 5);
  rmSync(root, { recursive: true });
});

test('longrl export: gguf and safetensors (bf16, sharded)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'longrl-gguf-'));
  const src = join(root, 'm');
  initModelFolder(src, 'tiny', { seed: 4 });
  const run = (...args: string[]) => runCli(['export', '--model', src, ...args]);
  const a = await run('--format', 'gguf', '--out', join(root, 'm.gguf'), '--dtype', 'f32');
  assert.equal(a.code, 0, a.stderr);
  assert.equal(JSON.parse(a.stdout).tensors, 26);
  const m = readModelFolder(src);
  checkTensors(join(root, 'm.gguf'), m.weights, 0, true);
  const b = await run('--format', 'safetensors', '--out', join(root, 'hf'), '--dtype', 'bf16', '--max-shard-bytes', '100000');
  assert.equal(b.code, 0, b.stderr);
  const back = readModelFolder(join(root, 'hf'));
  assert.equal(back.config.torchDtype, 'bfloat16');
  assert.deepEqual(back.tokenizerJson, m.tokenizerJson);
  for (const [k, t] of m.weights) {
    const u = back.weights.get(k)!;
    for (let i = 0; i < t.data.length; i++) assert.ok(Math.abs(u.data[i]! - t.data[i]!) <= Math.abs(t.data[i]!) * 2 ** -8, k);
  }
  const bad = await run('--format', 'onnx', '--out', join(root, 'x'));
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--format/);
  rmSync(root, { recursive: true });
});
