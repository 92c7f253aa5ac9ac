import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildPresetModel, initModelFolder } from '../../src/model/io/preset-model.ts';
import { readModelFolder, writeModelFolder } from '../../src/model/folder.ts';
import { countParameters, modelTensorShapes } from '../../src/model/init.ts';
import { readModelConfig } from '../../src/model/config.ts';
import { PRESETS } from '../../src/model/presets.ts';
import { loadTokenizer } from '../../src/tokenizer/index.ts';
import { runCliInProcess as runCli } from '../helpers/cli.ts';

const BIN = fileURLToPath(new URL('../../bin/longrl.js', import.meta.url));


test('tiny preset: shape, parameter count, HF init statistics', () => {
  const m = buildPresetModel('tiny', { seed: 1 });
  const c = m.config;
  assert.equal(c.hiddenSize, 64);
  assert.equal(c.numLayers, 2);
  const params = countParameters(m.weights);
  // embed 1024x64 + 2 x (q 64x64+64, k 32x64+32, v 32x64+32, o 64x64, mlp 3x64x176, 2 norms 64) + norm 64
  assert.equal(params, 1024 * 64 + 2 * (4096 + 64 + 2048 + 32 + 2048 + 32 + 4096 + 3 * 64 * 176 + 128) + 64);
  assert.ok(params > 100_000 && params < 1_000_000);
  for (const [name, shape] of modelTensorShapes(c)) assert.deepEqual(m.weights.get(name)?.shape, shape, name);
  assert.equal(m.weights.size, 1 + 2 * 12 + 1);
  const ln = m.weights.get('model.layers.0.input_layernorm.weight')!.data;
  assert.ok(ln.every((x) => x === 1));
  assert.ok(m.weights.get('model.layers.1.self_attn.k_proj.bias')!.data.every((x) => x === 0));
  const e = m.weights.get('model.embed_tokens.weight')!.data;
  let s = 0;
  let s2 = 0;
  for (const x of e) { s += x; s2 += x * x; }
  const mean = s / e.length;
  const std = Math.sqrt(s2 / e.length - mean * mean);
  assert.ok(Math.abs(mean) < 0.001, `mean ${mean}`);
  assert.ok(Math.abs(std - 0.02) < 0.0005, `std ${std}`);
  assert.notDeepEqual(m.weights.get('model.layers.0.mlp.up_proj.weight')!.data.slice(0, 8),
    m.weights.get('model.layers.0.mlp.gate_proj.weight')!.data.slice(0, 8));
});

test('presets: sizes as specified, qwen3-tiny differences', () => {
  const bench = PRESETS['bench']!;
  assert.deepEqual([bench.numLayers, bench.hiddenSize, bench.numHeads, bench.numKvHeads, bench.intermediateSize, bench.vocabSize], [4, 256, 4, 2, 704, 4096]);
  const demo = buildPresetModel('demo');
  const n = countParameters(demo.weights);
  assert.ok(n >= 1_000_000 && n <= 3_000_000, `demo ${n}`);
  const q3 = buildPresetModel('qwen3-tiny');
  assert.equal(q3.config.modelType, 'qwen3');
  assert.equal(q3.config.headDim, 32);
  assert.deepEqual(q3.weights.get('model.layers.0.self_attn.q_norm.weight')?.shape, [32]);
  assert.deepEqual(q3.weights.get('model.layers.0.self_attn.q_proj.weight')?.shape, [128, 64]);
  assert.deepEqual(q3.weights.get('model.layers.0.self_attn.o_proj.weight')?.shape, [64, 128]);
  assert.deepEqual(q3.weights.get('lm_head.weight')?.shape, [1024, 64]);
  assert.equal(q3.weights.has('model.layers.0.self_attn.q_proj.bias'), false);
});

test('same seed → bit-identical folder; other seed differs; folder round trip exact', () => {
  const root = mkdtempSync(join(tmpdir(), 'longrl-init-'));
  initModelFolder(join(root, 'a'), 'tiny', { seed: 7 });
  initModelFolder(join(root, 'b'), 'tiny', { seed: 7 });
  initModelFolder(join(root, 'c'), 'tiny', { seed: 8 });
  for (const f of readdirSync(join(root, 'a'))) {
    assert.ok(readFileSync(join(root, 'a', f)).equals(readFileSync(join(root, 'b', f))), f);
  }
  assert.ok(!readFileSync(join(root, 'a', 'model.safetensors')).equals(readFileSync(join(root, 'c', 'model.safetensors'))));
  assert.ok(readFileSync(join(root, 'a', 'tokenizer.json')).equals(readFileSync(join(root, 'c', 'tokenizer.json'))), 'tokenizer independent of seed');
  const m = readModelFolder(join(root, 'a'));
  assert.deepEqual(readdirSync(join(root, 'a')).sort(),
    ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  writeModelFolder(join(root, 'd'), { ...m, maxShardBytes: 200_000 });
  const d = readModelFolder(join(root, 'd'));
  for (const [k, t] of m.weights) assert.deepEqual(d.weights.get(k)!.data, t.data, k);
  assert.deepEqual({ ...d.config, raw: null }, { ...m.config, raw: null });
  // bf16 folder: torch_dtype follows, values rounded.
  writeModelFolder(join(root, 'e'), { ...m, dtype: 'BF16' });
  assert.equal(readModelConfig(join(root, 'e')).torchDtype, 'bfloat16');
  // The tokenizer of the folder works with the model's special ids.
  const tok = loadTokenizer(join(root, 'a'));
  assert.equal(tok.tokenToId('<|im_end|>'), m.config.eosTokenIds[0]);
  assert.equal(tok.tokenToId('<|endoftext|>'), m.config.bosTokenId);
  assert.ok(tok.vocabSize <= m.config.vocabSize);
  assert.equal(tok.applyChatTemplate([{ role: 'user', content: 'Where is Mary?' }], { addGenerationPrompt: true }),
    '<|im_start|>user\nWhere is Mary?<|im_end|>\n<|im_start|>assistant\n');
  const ids = tok.encode(' Mary went to the kitchen.');
  assert.deepEqual(ids.map((i) => tok.decode([i])), [' Mary', ' went', ' to', ' the', ' kitchen', '.']);
  rmSync(root, { recursive: true });
});

test('longrl init-model CLI writes the folder and prints the parameter count', async () => {
  const root = mkdtempSync(join(tmpdir(), 'longrl-init-'));
  const corpus = join(root, 'corpus.txt');
  writeFileSync(corpus, 'Zorblax quintessence\n'.repeat(50));
  const r = spawnSync(process.execPath, [BIN, 'init-model', '--preset', 'tiny', '--out', join(root, 'm'), '--seed', '3', '--dtype', 'bf16'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.equal(out.parameters, 158272);
  assert.equal(out.folder, join(root, 'm'));
  assert.equal(readModelConfig(join(root, 'm')).torchDtype, 'bfloat16');
  const bad = await runCli(['init-model', '--preset', 'huge', '--out', join(root, 'x'), '--corpus', corpus]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown preset "huge"/);
  const withCorpus = await runCli(['init-model', '--preset', 'tiny', '--out', join(root, 'k'), '--corpus', corpus]);
  assert.equal(withCorpus.code, 0, withCorpus.stderr);
  assert.equal(loadTokenizer(join(root, 'k')).encode(' quintessence').length, 1);
  rmSync(root, { recursive: true });
});
