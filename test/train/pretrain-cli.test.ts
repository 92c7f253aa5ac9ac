/**
 * `longrl pretrain RECIPE`: the pretrain phase alone, leaving a base model folder that a
 * later run starts from (`model.path`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const tinyRecipe = join(root, 'recipes', 'demo-tiny.yaml');

/** Runs the CLI (`longrl ARGS...`) from the package root. */
function longrl(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [join(root, 'bin', 'longrl.js'), ...args], { cwd: root, encoding: 'utf8' });
}

/** The run folder's metrics.jsonl lines. */
function metricsOf(runDir: string): Record<string, number>[] {
  return readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
}

/** Runs `fn` with a fresh temporary folder, removed afterwards. */
function inTmp(prefix: string, fn: (tmp: string) => void): void {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  try {
    fn(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

test('longrl pretrain writes only pretrain metrics and an HF base model folder', { timeout: 300_000 }, () => inTmp('longrl-pretrain-', (tmp) => {
  const out = join(tmp, 'run');
  const res = longrl('pretrain', tinyRecipe, '--out', out, '--set', 'pretrain.steps=2');
  assert.equal(res.status, 0, res.stderr + res.stdout);
  assert.equal(res.stdout.trim().split('\n').at(-1), `Run folder: ${out}`);
  const lines = metricsOf(out) as unknown as { phase: string; step: number }[];
  assert.deepEqual(lines.map((l) => [l.phase, l.step]), [['pretrain', 1], ['pretrain', 2]]);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) assert.ok(existsSync(join(out, 'models', 'final', f)), f);
  // models/base is the pretrained model of any run with a pretrain phase (here also final).
  assert.deepEqual(readFileSync(join(out, 'models', 'base', 'model.safetensors')), readFileSync(join(out, 'models', 'final', 'model.safetensors')));
  assert.ok(!existsSync(join(out, 'results.json')), 'no evaluation in a pretrain run');

  const bad = longrl('pretrain', tinyRecipe, '--out', join(tmp, 'x'), '--set', 'pretrain=null');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /no pretrain section/);
}));

test('longrl pretrain: a length curriculum keeps tokens per step and switches documents at fromStep; copy documents run', { timeout: 300_000 }, () => inTmp('longrl-pretrain-', (tmp) => {
  const out = join(tmp, 'run');
  const res = longrl(
    'pretrain', tinyRecipe, '--out', out,
    '--set', 'pretrain.steps=4',
    '--set', 'pretrain.documents={kind: repeated, count: 16, tokens: 64, facts: 6, copyProb: 0.5}',
    '--set', 'pretrain.lengths=[{fromStep: 0, tokens: 16, facts: 2}, {fromStep: 2, tokens: 64, facts: 6}]',
    '--set', 'pretrain.softmax=corpus',
  );
  assert.equal(res.status, 0, res.stderr + res.stdout);
  const lines = metricsOf(out);
  // batchSize 4 at 64 tokens = 16 documents of 16 tokens in the first stage.
  assert.deepEqual(lines.map((l) => l['train/sequences']), [16, 16, 4, 4]);
  assert.ok(lines.slice(0, 2).every((l) => l['train/tokens']! <= 16 * 16));
  assert.ok(lines.slice(2).every((l) => l['train/tokens']! > 16 * 4), 'longer documents in the second stage');
  // The softmax runs over the ids the documents use (stage 2 adds its own), far fewer
  // than the vocabulary: the first loss is about ln(that count), not ln(vocab).
  const vocab = lines.map((l) => l['train/softmax_vocab']!);
  assert.equal(vocab[0], vocab[1]);
  assert.ok(vocab[2]! >= vocab[1]! && vocab[2]! < 1024, String(vocab));
  assert.ok(Math.abs(lines[0]!['loss']! - Math.log(vocab[0]!)) < 0.2, `${lines[0]!['loss']} vs ln ${vocab[0]}`);
}));

test('longrl pretrain: a length stage\'s own batchSize, and the wsd schedule (peak, then a linear decay over the last decayRatio)', { timeout: 300_000 }, () => inTmp('longrl-wsd-', (tmp) => {
  const out = join(tmp, 'run');
  const res = longrl(
    'pretrain', tinyRecipe, '--out', out,
    '--set', 'pretrain.steps=5', '--set', 'pretrain.warmupSteps=0', '--set', 'pretrain.lr=0.001',
    '--set', 'pretrain.schedule=wsd', '--set', 'pretrain.decayRatio=0.4', '--set', 'pretrain.minLrRatio=0.1',
    '--set', 'pretrain.documents={kind: repeated, count: 16, tokens: 64, facts: 6}',
    '--set', 'pretrain.lengths=[{fromStep: 0, tokens: 16, facts: 2}, {fromStep: 2, tokens: 32, facts: 4, batchSize: 3}]',
  );
  assert.equal(res.status, 0, res.stderr + res.stdout);
  const lines = metricsOf(out);
  // batchSize 4 x 64 / 16 = 16 documents, then the stage's own 3.
  assert.deepEqual(lines.map((l) => l['train/sequences']), [16, 16, 3, 3, 3]);
  // Decay over the last 2 of 5 steps: steps 0-2 at the peak, then 1 - 0.9·(s-3)/2.
  const lr = lines.map((l) => l['lr']!);
  const want = [1e-3, 1e-3, 1e-3, 1e-3, 0.55e-3];
  lr.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-12, `step ${i}: lr ${v}, want ${want[i]}`));
}));

test('sft.replay adds pretraining documents to every SFT and sft-continued step', { timeout: 300_000 }, () => inTmp('longrl-replay-', (tmp) => {
  const out = join(tmp, 'run');
  const res = longrl('train', tinyRecipe, '--out', out, '--set', 'pretrain=null', '--set', 'sft.replay={documents: 2, source: {kind: repeated, count: 16, tokens: 64, facts: 6}}');
  assert.equal(res.status, 0, res.stderr + res.stdout);
  const sft = (metricsOf(out) as Record<string, unknown>[]).filter((l) => l['phase'] === 'sft');
  assert.ok(sft.length > 0 && sft.some((l) => l['baseline'] === 'sft-continued'));
  for (const l of sft) assert.equal(l['train/sequences'], 4 + 2, `step ${String(l['step'])}: batchSize 4 + 2 replayed documents`);
  const bad = longrl('train', tinyRecipe, '--out', join(tmp, 'bad'), '--set', 'sft.replay={documents: 2}');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /sft.replay needs documents of kind repeated/);
}));

test('longrl pretrain: stream documents (fresh every step, pure in the step) with keepFirst mixing the first length in', { timeout: 300_000 }, () => inTmp('longrl-stream-', (tmp) => {
  const run = (name: string) => {
    const out = join(tmp, name);
    const res = longrl(
      'pretrain', tinyRecipe, '--out', out,
      '--set', 'pretrain.steps=4', '--set', 'pretrain.beta2=0.95', '--set', 'pretrain.keepFirst=0.5',
      '--set', 'pretrain.documents={kind: repeated, tokens: 64, facts: 6, copyProb: 0.5, stream: true}',
      '--set', 'pretrain.lengths=[{fromStep: 0, tokens: 16, facts: 2}, {fromStep: 2, tokens: 64, facts: 6}]',
    );
    assert.equal(res.status, 0, res.stderr + res.stdout);
    return metricsOf(out);
  };
  const a = run('a');
  assert.deepEqual(a.map((l) => l['train/sequences']), [16, 16, 4, 4]);
  // Stage 2: two 16-token documents and two of up to 64 tokens per step.
  for (const l of a.slice(2)) assert.ok(l['train/tokens']! > 2 * 16 + 2 * 16 && l['train/tokens']! <= 2 * 16 + 2 * 64, String(l['train/tokens']));
  assert.notEqual(a[0]!['loss'], a[1]!['loss'], 'fresh documents each step');
  const b = run('b');
  assert.deepEqual(b.map((l) => l['loss']), a.map((l) => l['loss']), 'pure in the step: the same losses again');
}));

test('longrl pretrain: pretrain.copy mixes gap documents into the stream at its stages\' shares and gaps', { timeout: 300_000 }, () => inTmp('longrl-copy-', (tmp) => {
  /** A 4-document-per-step stream pretraining with `copy` as pretrain.copy; its metrics. */
  const run = (name: string, steps: number, copy: string) => {
    const out = join(tmp, name);
    const res = longrl(
      'pretrain', tinyRecipe, '--out', out,
      '--set', `pretrain.steps=${steps}`, '--set', 'pretrain.batchSize=4',
      '--set', 'pretrain.documents={kind: repeated, tokens: 64, facts: 6, stream: true}',
      '--set', `pretrain.copy=${copy}`,
    );
    assert.equal(res.status, 0, res.stderr + res.stdout);
    return metricsOf(out);
  };
  const lines = run('copy', 4, '{half: 4, stages: [{fromStep: 0, gapMax: 0, share: 1}, {fromStep: 2, gapMax: 200, share: 0.5}]}');
  assert.deepEqual(lines.map((l) => l['train/sequences']), [4, 4, 4, 4]);
  // Stage 1: four copy documents of 8 entities and no gap (9 tokens with end-of-text) -> 8
  // targets each (the tiny tokenizer may split an entity: at least 8).
  for (const l of lines.slice(0, 2)) assert.ok(l['train/tokens']! >= 4 * 8 && l['train/tokens']! <= 4 * 8 * 3, String(l['train/tokens']));
  // Stage 2: two fact documents of 64 tokens and two copy documents with gaps up to 200 words.
  for (const l of lines.slice(2)) assert.ok(l['train/tokens']! > 2 * 60 + 2 * 8, String(l['train/tokens']));
  // kind lookup: 3 facts (key, value, period: at least 3 tokens each) twice, no gap.
  for (const l of run('lookup', 2, '{kind: lookup, half: 3, stages: [{fromStep: 0, gapMax: 0, share: 1}]}')) {
    assert.ok(l['train/sequences'] === 4 && l['train/tokens']! >= 4 * 18, JSON.stringify(l));
  }
}));

test('sft.replay with a streaming source replays fresh documents every step; a pool of one repeats its document', { timeout: 300_000 }, () => inTmp('longrl-replay-stream-', (tmp) => {
  const sftLosses = (name: string, stream: boolean) => {
    const out = join(tmp, name);
    const res = longrl('train', tinyRecipe, '--out', out, '--set', 'pretrain=null',
      '--set', `sft.replay={documents: 2, source: {kind: repeated, count: 2, tokens: 64, facts: 6, stream: ${stream}}}`);
    assert.equal(res.status, 0, res.stderr + res.stdout);
    return (metricsOf(out) as Record<string, unknown>[]).filter((l) => l['phase'] === 'sft' && l['baseline'] === undefined).map((l) => l['loss'] as number);
  };
  const pool = sftLosses('pool', false);
  const stream = sftLosses('stream', true);
  assert.ok(pool.length >= 3, `${pool.length} SFT steps`);
  // Step 1 replays documents 0 and 1 in both runs; from step 2 the pool repeats them and
  // the stream moves on to documents 2, 3, ...
  assert.equal(stream[0], pool[0]);
  assert.notEqual(stream[1], pool[1]);
}));
