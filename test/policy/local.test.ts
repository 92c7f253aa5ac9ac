/**
 * LocalPolicy over real model folders in a temp dir: training lowers the loss, gradient
 * accumulation over calls equals one call, save → load is exact and a resumed run
 * continues bit for bit, LoRA trains only adapters and its merged export equals the
 * unmerged model, sampling logprobs agree with forward.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalPolicy } from '../../src/policy/local.ts';
import { crossEntropyLoss } from '../../src/model/losses.ts';
import { writeModelFolder } from '../../src/model/folder.ts';
import type { AdamParams, Datum } from '../../src/policy/types.ts';
import { randomIds, randomWeights, tinyConfig } from '../model/helpers.ts';

const adam: AdamParams = { learningRate: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, gradClipNorm: 1 };

function makeFolder(over: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'longrl-policy-'));
  const cfg = tinyConfig(over);
  writeModelFolder(dir, { config: cfg, weights: randomWeights(cfg, 31, 0.1).toTensors() });
  return dir;
}

function datum(tokens: Int32Array, promptLen: number): Datum {
  const T = tokens.length - 1;
  const mask = new Float32Array(T);
  for (let t = promptLen - 1; t < T; t++) mask[t] = 1;
  return { inputTokens_T: tokens.subarray(0, T), targetTokens_T: tokens.subarray(1), mask_T: mask };
}

const data = [datum(randomIds(20, 61, 1), 5), datum(randomIds(13, 61, 2), 3), datum(randomIds(30, 61, 3), 10)];

test('training lowers the loss; accumulation over calls equals one call', async () => {
  const dir = makeFolder();
  try {
    const a = LocalPolicy.fromFolder(dir);
    const b = LocalPolicy.fromFolder(dir);
    const ce = crossEntropyLoss({ normalize: 'sum' });
    const first = await a.forwardBackward(data, ce);
    await b.forwardBackward(data.slice(0, 1), ce);
    await b.forwardBackward(data.slice(1), ce);
    const sa = await a.optimStep(adam);
    const sb = await b.optimStep(adam);
    assert.ok(Math.abs(sa.gradNorm - sb.gradNorm) < 1e-5 * sa.gradNorm);
    assert.equal(sa.step, 1);
    let last = first.loss;
    for (let i = 0; i < 15; i++) {
      last = (await a.forwardBackward(data, ce)).loss;
      await a.optimStep(adam);
    }
    assert.ok(last < first.loss * 0.8, `loss ${first.loss} -> ${last}`);
    const fw = await a.forward(data);
    const fb = await a.forwardBackward(data, ce);
    assert.deepEqual(fw.logprobs, fb.logprobs);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const lora of [false, true]) {
  test(`save -> load is exact and a resumed run continues bit for bit${lora ? ' (LoRA)' : ''}`, async () => {
    const dir = makeFolder({ model_type: 'qwen3', head_dim: 12, tie_word_embeddings: false });
    const ck = mkdtempSync(join(tmpdir(), 'longrl-ck-'));
    try {
      const opts = lora ? { lora: { rank: 4, alpha: 8, seed: 1 } } : {};
      const ce = crossEntropyLoss();
      const a = LocalPolicy.fromFolder(dir, opts);
      for (let i = 0; i < 3; i++) {
        await a.forwardBackward(data, ce);
        await a.optimStep(adam);
      }
      await a.forwardBackward(data.slice(0, 1), ce); // pending accumulated gradient
      await a.save(ck);
      const b = LocalPolicy.fromFolder(dir, opts);
      await b.load(ck);
      assert.equal(b.step, 3);
      assert.deepEqual(b.weights.data, a.weights.data);
      if (lora) assert.deepEqual(b.model.lora!.data, a.model.lora!.data);
      for (const p of [a, b]) {
        await p.forwardBackward(data.slice(1), ce);
        await p.optimStep(adam);
      }
      assert.deepEqual(b.weights.data, a.weights.data);
      if (lora) {
        assert.deepEqual(b.model.lora!.data, a.model.lora!.data);
        assert.ok(existsSync(join(ck, 'adapter', 'adapter_model.safetensors')));
        const ac = JSON.parse(readFileSync(join(ck, 'adapter', 'adapter_config.json'), 'utf8'));
        assert.equal(ac.r, 4);
        assert.equal(ac.peft_type, 'LORA');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(ck, { recursive: true, force: true });
    }
  });
}

test('LoRA trains only adapters; the merged export equals the unmerged model', async () => {
  const dir = makeFolder();
  const out = mkdtempSync(join(tmpdir(), 'longrl-export-'));
  try {
    const p = LocalPolicy.fromFolder(dir, { lora: { rank: 4, alpha: 16, targetModules: ['q_proj', 'v_proj', 'down_proj'], seed: 2 } });
    const base = p.weights.data.slice();
    const ce = crossEntropyLoss();
    for (let i = 0; i < 5; i++) {
      await p.forwardBackward(data, ce);
      await p.optimStep({ ...adam, learningRate: 1e-2 });
    }
    assert.deepEqual(p.weights.data, base, 'base weights must stay frozen');
    const unmerged = await p.forward(data);
    await p.exportHF(out);
    const merged = LocalPolicy.fromFolder(out);
    const m = await merged.forward(data);
    let err = 0;
    let moved = 0;
    const plain = await LocalPolicy.fromFolder(dir).forward(data);
    unmerged.logprobs.forEach((lp, i) => lp.forEach((x, t) => {
      err = Math.max(err, Math.abs(x - m.logprobs[i]![t]!));
      moved = Math.max(moved, Math.abs(x - plain.logprobs[i]![t]!));
    }));
    assert.ok(err < 1e-5, `merged vs unmerged ${err}`);
    assert.ok(moved > 1e-3, 'adapters changed the model');
    // The PEFT adapter folder loads back into a fresh policy, and merging in place agrees.
    await p.save(join(out, 'ck'));
    const reloaded = LocalPolicy.fromFolder(dir, { adapterDir: join(out, 'ck', 'adapter') });
    assert.deepEqual((await reloaded.forward(data)).logprobs, unmerged.logprobs);
    reloaded.mergeAdapters();
    assert.equal(reloaded.model.lora, null);
    const inPlace = await reloaded.forward(data);
    inPlace.logprobs.forEach((lp, i) => lp.forEach((x, t) => assert.ok(Math.abs(x - m.logprobs[i]![t]!) < 1e-6)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  }
});

test('sample returns n sequences per prompt whose logprobs agree with forward', async () => {
  const dir = makeFolder();
  try {
    const p = LocalPolicy.fromFolder(dir);
    const prompts = [[1, 2, 3, 4], [5, 6]];
    const res = await p.sample(prompts, { n: 3, temperature: 1, topP: 1, topK: 0, maxTokens: 8, seed: 9 });
    assert.equal(res.length, 2);
    let gap = 0;
    for (let i = 0; i < 2; i++) {
      assert.equal(res[i]!.length, 3);
      for (const s of res[i]!) {
        assert.equal(s.tokens.length, s.logprobs.length);
        const full = Int32Array.from([...prompts[i]!, ...s.tokens]);
        const d = datum(full, prompts[i]!.length);
        const f = await p.forward([d]);
        s.tokens.forEach((_, t) => { gap = Math.max(gap, Math.abs(f.logprobs[0]![prompts[i]!.length - 1 + t]! - s.logprobs[t]!)); });
      }
    }
    assert.ok(gap < 1e-4, `sampler/trainer logprob gap ${gap}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SFT memorises a sequence and greedy sampling reproduces it', async () => {
  const dir = makeFolder();
  try {
    const p = LocalPolicy.fromFolder(dir);
    const seq = Int32Array.from([7, 3, 41, 12, 12, 50, 9, 33, 2, 18, 27, 60, 5, 14]);
    const d = datum(seq, 3);
    const ce = crossEntropyLoss();
    let loss = Infinity;
    for (let i = 0; i < 60 && loss > 0.02; i++) {
      loss = (await p.forwardBackward([d], ce)).loss;
      await p.optimStep({ ...adam, learningRate: 2e-2, weightDecay: 0 });
    }
    assert.ok(loss < 0.05, `loss ${loss}`);
    const out = await p.sample([Array.from(seq.subarray(0, 3))], { n: 1, temperature: 0, topP: 1, topK: 0, maxTokens: seq.length - 3, seed: 0 });
    assert.deepEqual(out[0]![0]!.tokens, Array.from(seq.subarray(3)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tape budgets (none, checkpoints only, everything kept) give bit-identical steps', async () => {
  const dir = makeFolder({ model_type: 'qwen3', head_dim: 12 });
  try {
    const ce = crossEntropyLoss();
    const results: Float32Array[] = [];
    for (const tapeBudgetBytes of [0, 30_000, 1 << 30]) {
      const p = LocalPolicy.fromFolder(dir, { tapeBudgetBytes });
      await p.forwardBackward(data, ce);
      await p.optimStep(adam);
      results.push(p.weights.data);
    }
    assert.deepEqual(results[1], results[0]);
    assert.deepEqual(results[2], results[0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
