import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  MetricsLog,
  canonicalLine,
  isAfter,
  readMetrics,
  withoutWallClock,
  type StepInput,
} from '../../src/observe/metrics-log.ts';
import { findEventFiles, readEventFile } from '../../src/observe/tensorboard.ts';
import { Rng } from '../../src/util/rng.ts';

/** A deterministic fake trainer: the metrics of step `s` depend on the seed only. */
function stepMetrics(rng: Rng, step: number): StepInput {
  const phase = step <= 3 ? 'sft' : 'rl';
  const base: StepInput = { step, phase, stage: phase === 'rl' ? (step <= 7 ? 1 : 2) : null };
  if (phase === 'sft') return { ...base, loss: rng.float(), lr: 1e-4, 'time/step_s': Math.random() };
  return {
    ...base,
    critic: { score: { mean: rng.float(), max: 1 } },
    'actor/entropy': rng.float() * 3,
    'actor/pg_clipfrac': rng.float() / 10,
    'timing_s/gen': Math.random(),
    'timing_s/reward': Math.random(),
  };
}

function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'longrl-metrics-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('canonical line: fixed key order, flattening, non-finite as null with a note', () => {
  const a = canonicalLine({ zeta: 1, step: 4, 'timing_s/gen': 0.5, alpha: { b: 2, a: 3 }, phase: 'rl', stage: 2, bad: Number.NaN, inf: -Infinity });
  const b = canonicalLine({ phase: 'rl', inf: -Infinity, bad: Number.NaN, alpha: { a: 3, b: 2 }, 'timing_s/gen': 0.5, stage: 2, zeta: 1, step: 4 });
  const expected = '{"step":4,"phase":"rl","stage":2,"alpha/a":3,"alpha/b":2,"bad":null,"inf":null,"zeta":1,"timing_s/gen":0.5,"nonfinite":{"bad":"NaN","inf":"-Infinity"}}';
  assert.equal(JSON.stringify(a), expected);
  assert.equal(JSON.stringify(b), expected);
  assert.equal(JSON.stringify(canonicalLine({ step: 0, phase: 'sft' }, 12.5)), '{"step":0,"phase":"sft","stage":null,"time/unix":12.5}');
  assert.throws(() => canonicalLine({ step: -1, phase: 'rl' }), /step/);
  assert.equal(
    JSON.stringify(canonicalLine({ step: 1, phase: 'rl', hist: new Float64Array([1, Number.NaN]), ids: [3, 4] })),
    '{"step":1,"phase":"rl","stage":null,"hist":[1,null],"ids":[3,4],"nonfinite":{"hist[1]":"NaN"}}',
  );
  assert.deepEqual(withoutWallClock(canonicalLine({ step: 1, phase: 'rl', 'perf/throughput': 5, 'perf/total_num_tokens': 9, 'timing_s/gen': 1, 'time/x': 2, tokens_per_s: 3 })), {
    step: 1, phase: 'rl', stage: null, 'perf/total_num_tokens': 9,
  });
  assert.throws(() => canonicalLine({ step: 1, phase: 'ppo' as never }), /phase/);
});

test('resume ordering: phase, then stage, then step', () => {
  assert.equal(isAfter({ step: 5, phase: 'rl' }, { step: 5 }), false);
  assert.equal(isAfter({ step: 6, phase: 'rl' }, { step: 5 }), true);
  assert.equal(isAfter({ step: 100, phase: 'sft' }, { step: 2, phase: 'rl' }), false);
  assert.equal(isAfter({ step: 1, phase: 'rl', stage: 1 }, { step: 9, phase: 'sft' }), true);
  assert.equal(isAfter({ step: 1, phase: 'rl', stage: 2 }, { step: 4, phase: 'rl', stage: 1 }), true);
});

test('a resumed run reproduces the uninterrupted metrics.jsonl line for line (wall clock aside)', () => {
  withTempDir((root) => {
    const N = 10;
    // Uninterrupted run.
    const full = join(root, 'full');
    const notes: string[] = [];
    const logA = new MetricsLog(full, { hostname: 'h', onNote: (m) => notes.push(m) });
    const rngA = new Rng(7);
    for (let s = 1; s <= N; s++) logA.log(stepMetrics(rngA, s));
    logA.close();

    // Interrupted run: checkpoint after step 5 (RNG state saved), then it writes steps
    // 6 and 7 and half of step 8 before kill -9.
    const cut = join(root, 'cut');
    const logB = new MetricsLog(cut, { hostname: 'h' });
    const rngB = new Rng(7);
    let saved = rngB.getState();
    for (let s = 1; s <= 7; s++) {
      logB.log(stepMetrics(rngB, s));
      if (s === 5) {
        logB.flush();
        saved = rngB.getState();
      }
    }
    logB.flush();
    appendFileSync(join(cut, 'metrics.jsonl'), '{"step":8,"phase":"rl","stage":2,"actor/entr');
    // No close(): the process died.

    assert.throws(() => new MetricsLog(cut), /already has metrics/);
    const logC = new MetricsLog(cut, { resume: { step: 5 }, hostname: 'h' });
    assert.equal(logC.lines, 5);
    const rngC = new Rng(saved);
    for (let s = 6; s <= N; s++) logC.log(stepMetrics(rngC, s));
    logC.close();

    const a = readMetrics(join(full, 'metrics.jsonl'));
    const c = readMetrics(join(cut, 'metrics.jsonl'));
    assert.equal(c.length, N);
    assert.deepEqual(c.map(withoutWallClock), a.map(withoutWallClock));
    assert.deepEqual(c.map((l) => l.step), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Every line is terminated and parses.
    const text = readFileSync(join(cut, 'metrics.jsonl'), 'utf8');
    assert.ok(text.endsWith('\n'));
    assert.equal(text.trim().split('\n').length, N);

    // TensorBoard: one file, header + one event per step, steps 1..N once each,
    // values equal to the JSON lines (as float32), SFT tags prefixed.
    const files = findEventFiles(cut);
    assert.equal(files.length, 1);
    const evs = readEventFile(files[0]!);
    assert.equal(evs[0]!.fileVersion, 'brain.Event:2');
    assert.deepEqual(evs.slice(1).map((e) => e.step), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const e9 = evs[9]!;
    const v = (tag: string) => e9.scalars.find((s) => s.tag === tag)?.value;
    assert.equal(v('critic/score/mean'), Math.fround(c[8]!['critic/score/mean'] as number));
    assert.equal(v('stage'), 2);
    assert.equal(v('sft/loss'), undefined);
    assert.equal(evs[1]!.scalars.find((s) => s.tag === 'sft/loss')?.value, Math.fround(c[0]!['loss'] as number));
    // Same scalar tags and values as the uninterrupted run's event file.
    const evA = readEventFile(findEventFiles(full)[0]!);
    const strip = (es: typeof evs) => es.slice(1).map((e) => ({ step: e.step, scalars: e.scalars.filter((s) => !s.tag.includes('_s')) }));
    assert.deepEqual(strip(evs), strip(evA));
    assert.deepEqual(notes, []);
  });
});

test('resume with per-phase steps keeps the earlier phase; "beginning" drops everything', () => {
  withTempDir((dir) => {
    const log = new MetricsLog(dir, { tensorboard: false, timestamp: false });
    for (let s = 1; s <= 4; s++) log.log({ step: s, phase: 'sft', loss: s });
    for (let s = 1; s <= 4; s++) log.log({ step: s, phase: 'rl', stage: 1, reward: s });
    log.close();
    const r = new MetricsLog(dir, { resume: { step: 2, phase: 'rl' }, tensorboard: false, timestamp: false });
    r.close();
    const lines = readMetrics(join(dir, 'metrics.jsonl'));
    assert.deepEqual(lines.map((l) => `${l.phase}${l.step}`), ['sft1', 'sft2', 'sft3', 'sft4', 'rl1', 'rl2']);
    // A checkpoint newer than the last line: the gap is reported, nothing is invented.
    const notes: string[] = [];
    new MetricsLog(dir, { resume: { step: 9, phase: 'rl' }, tensorboard: false, onNote: (m) => notes.push(m) }).close();
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, /ends at rl step 2, before the checkpoint's step 9/);
    assert.equal(readMetrics(join(dir, 'metrics.jsonl')).length, 6);
    new MetricsLog(dir, { resume: 'beginning', tensorboard: false }).close();
    assert.equal(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), '');
  });
});

test('non-finite values: null in the line, named in "nonfinite", noted once, NaN in TensorBoard', () => {
  withTempDir((dir) => {
    const notes: string[] = [];
    const log = new MetricsLog(dir, { onNote: (m) => notes.push(m), hostname: 'h' });
    log.log({ step: 1, phase: 'rl', stage: 1, 'actor/grad_norm': Number.NaN });
    log.log({ step: 2, phase: 'rl', stage: 1, 'actor/grad_norm': Infinity });
    log.close();
    const lines = readMetrics(join(dir, 'metrics.jsonl'));
    assert.equal(lines[0]!['actor/grad_norm'], null);
    assert.deepEqual(lines[1]!['nonfinite'] as unknown, { 'actor/grad_norm': 'Infinity' });
    assert.equal(notes.length, 1);
    assert.match(notes[0]!, /actor\/grad_norm.*NaN.*step 1/);
    const evs = readEventFile(findEventFiles(dir)[0]!);
    assert.ok(Number.isNaN(evs[1]!.scalars.find((s) => s.tag === 'actor/grad_norm')!.value));
    assert.equal(evs[2]!.scalars.find((s) => s.tag === 'actor/grad_norm')!.value, Infinity);
  });
});
