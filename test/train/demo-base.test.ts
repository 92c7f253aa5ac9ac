/**
 * The demo's shipped base checkpoint (models/demo-base/, issue 12): the embedded demo recipe
 * finds it, it is the `demo` preset (architecture and tokenizer) pretrained, the recipe that
 * reproduces it (recipes/demo-base.yaml) is the demo from scratch, and its weights really
 * look up a key's value (a random init does not).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRecipe, absolutizePaths } from '../../src/train/config.ts';
import { buildInitModel } from '../../src/train/recipe.ts';
import { embeddedRecipe } from '../../src/cli/commands/demo.ts';
import { LocalPolicy } from '../../src/policy/local.ts';
import { loadTokenizer, type TextTokenizer } from '../../src/tokenizer/load.ts';
import { entityPools } from '../../src/data/synth/vocab.ts';
import { Rng } from '../../src/util/rng.ts';
import type { Datum } from '../../src/policy/types.ts';
import { writeModelFolder } from '../../src/model/folder.ts';
import { tempDir } from '../temp-dir.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const baseDir = join(root, 'models', 'demo-base');

test('demo.yaml starts from the shipped base, which holds an HF model folder of the demo preset', () => {
  const file = embeddedRecipe('full');
  const r = absolutizePaths(loadRecipe(file), dirname(file));
  assert.equal(r.model.path, baseDir);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) assert.ok(existsSync(join(baseDir, f)), `models/demo-base/${f}`);
  const dir = tempDir('longrl-demo-base-');
  writeModelFolder(dir, buildInitModel('demo', {}, 0));
  const config = (d: string) => JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')) as Record<string, unknown>;
  const shipped = config(baseDir);
  const preset = config(dir);
  for (const k of ['architectures', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'intermediate_size', 'vocab_size', 'rope_theta', 'tie_word_embeddings']) {
    assert.deepEqual(shipped[k], preset[k], `config.json ${k}`);
  }
  // The preset's tokenizer, byte for byte: the demo's synthetic data tokenizes as in pretraining.
  assert.equal(readFileSync(join(baseDir, 'tokenizer.json'), 'utf8'), readFileSync(join(dir, 'tokenizer.json'), 'utf8'));
});

test('the base recipes: phase 1 pretrains the demo preset from scratch, phase 2 continues it and is otherwise the demo recipe', () => {
  const demo = loadRecipe(embeddedRecipe('full'));
  const phase1 = loadRecipe(join(root, 'recipes', 'demo-base-1.yaml'));
  const phase2File = join(root, 'recipes', 'demo-base.yaml');
  const phase2 = loadRecipe(phase2File);
  assert.deepEqual(phase1.model.init, { preset: 'demo', seed: 0 });
  for (const r of [phase1, phase2]) {
    assert.ok(r.pretrain && r.pretrain.weightDecay > 0 && r.pretrain.schedule === 'wsd', `${r.name}: weight-decayed, annealed pretraining`);
  }
  // Phase 2 starts where scripts/make-demo-base.sh leaves phase 1 by default.
  assert.equal(absolutizePaths(phase2, dirname(phase2File)).model.path, join(root, 'runs', 'demo-base', 'phase1', 'models', 'final'));
  assert.match(readFileSync(join(root, 'scripts', 'make-demo-base.sh'), 'utf8'), /out="\$\{1:-runs\/demo-base\}"[\s\S]*phase phase1 recipes\/demo-base-1\.yaml\n[\s\S]*phase phase2 recipes\/demo-base\.yaml/);
  assert.ok(demo.pretrain == null, 'the demo itself does not pretrain');
  // The base phases run unpacked (policy.packRows 0: the summation order the shipped base
  // was made with); the demo packs. Everything else is the demo.
  assert.equal(phase2.policy.kind === 'local' && phase2.policy.packRows, 0);
  const strip = (r: typeof demo) => ({ ...r, name: null, model: null, pretrain: null, policy: r.policy.kind === 'local' ? { ...r.policy, packRows: null } : r.policy });
  assert.deepEqual(strip(phase2), strip(demo));
});

/** Mean p(value) at the restated facts of lookup documents (facts, then the same shuffled). */
async function lookupProbability(policy: LocalPolicy, tok: TextTokenizer): Promise<number> {
  const pool = entityPools().test; // entities the SFT and RL records never use
  const rng = new Rng(7);
  const endOfText = tok.tokenToId('<|endoftext|>') as number;
  const datums: Datum[] = [];
  const valuePositions: number[][] = [];
  for (let d = 0; d < 16; d++) {
    const keys = rng.shuffle([...pool.keys]).slice(0, 5);
    const facts = keys.map((k) => tok.encode(` ${k} ${rng.pick(pool.values)}.`));
    const restated = rng.shuffle(facts.slice());
    const ids = [endOfText, ...facts.flat()]; // as pretraining documents begin
    const pos: number[] = [];
    for (const f of restated) {
      ids.push(...f);
      pos.push(ids.length - 2); // the value token, just before '.'
    }
    const input = ids.slice(0, -1);
    datums.push({ inputTokens_T: Int32Array.from(input), targetTokens_T: Int32Array.from(ids.slice(1)), mask_T: new Float32Array(input.length).fill(1) });
    valuePositions.push(pos.map((p) => p - 1)); // target index of the value token
  }
  const { logprobs } = await policy.forward(datums);
  let sum = 0;
  let n = 0;
  valuePositions.forEach((ps, i) => {
    for (const p of ps) {
      sum += Math.exp((logprobs[i] as Float32Array)[p] as number);
      n++;
    }
  });
  return sum / n;
}

test('the shipped base looks up a restated key\'s value on held-out entities; its random init does not', async () => {
  const tok = loadTokenizer(baseDir);
  const base = LocalPolicy.fromFolder(baseDir, { threads: 1 });
  const p = await lookupProbability(base, tok);
  const dir = tempDir('longrl-demo-init-');
  writeModelFolder(dir, buildInitModel('demo', {}, 0));
  const pInit = await lookupProbability(LocalPolicy.fromFolder(dir, { threads: 1 }), tok);
  // 5 facts: a model that only knows "some value of the document" gets about 1/5.
  assert.ok(p > 0.4, `shipped base: mean p(value | restated key) ${p.toFixed(3)}`);
  assert.ok(pInit < 0.05, `random init: ${pInit.toFixed(3)}`);
});
