import { test } from 'node:test';
import assert from 'node:assert/strict';
import { aggregateLoss, AGG_MODES, type AggMode } from '../../src/rl/index.ts';
import { close } from './helpers.ts';

// Rows of different lengths; NaN/inf sit only in masked positions and must not leak.
const loss = [Float64Array.from([1, 2, 3, NaN]), Float64Array.from([4, 5, 0, 0]), Float64Array.from([Infinity, NaN])];
const mask = [Float32Array.from([1, 1, 1, 0]), Float32Array.from([1, 1, 0, 0]), Float32Array.from([0, 0])];

// Worked by hand from rl-algorithms.md §3 (row 2 is a zero-length response: not in B).
const golden: Record<AggMode, number> = {
  'token-mean': 15 / 5, // Σ m·ℓ / Σ m
  'seq-mean-token-sum': (6 + 9) / 2,
  'seq-mean-token-mean': (6 / (3 + 1e-8) + 9 / (2 + 1e-8)) / 2, // ≈ 3.25
  'seq-mean-token-sum-norm': (6 + 9) / 2 / 4, // S = longest row = 4
  'token-sum': 15,
};

test('each aggregation mode: golden value, weights = finite differences, masked NaN never leaks', () => {
  for (const mode of AGG_MODES) {
    const r = aggregateLoss(mode, loss, mask);
    close(r.loss, golden[mode], 1e-9, mode);
    assert.equal(r.tokens, 5);
    assert.equal(r.seqs, 2);
    // the loss is linear in ℓ: a central difference on each valid entry equals its weight
    for (let i = 0; i < 2; i++) {
      for (let t = 0; t < 4; t++) {
        const h = 1e-3;
        const up = loss.map((row) => Float64Array.from(row));
        const dn = loss.map((row) => Float64Array.from(row));
        const u = up[i] as Float64Array;
        const d = dn[i] as Float64Array;
        u[t] = (u[t] as number) + h;
        d[t] = (d[t] as number) - h;
        const fd = (aggregateLoss(mode, up, mask).loss - aggregateLoss(mode, dn, mask).loss) / (2 * h);
        const w = (r.weights_B_T[i] as Float64Array)[t] as number;
        if ((mask[i] as Float32Array)[t] === 0) assert.equal(w, 0, `${mode} masked weight`);
        else close(w, fd, 1e-9, `${mode} w[${i},${t}]`);
      }
    }
    assert.ok(r.weights_B_T.every((w) => w.every(Number.isFinite)));
  }
});

test('options: global token count, global sequences, dp multiplier, normLength', () => {
  close(aggregateLoss('token-mean', loss, mask, { globalTokens: 10, dpSize: 2 }).loss, (15 / 10) * 2, 1e-12);
  close(aggregateLoss('seq-mean-token-sum', loss, mask, { globalSeqs: 5 }).loss, 15 / 5, 1e-12);
  close(aggregateLoss('seq-mean-token-sum-norm', loss, mask, { normLength: 10 }).loss, 15 / 2 / 10, 1e-12);
  close(aggregateLoss('token-sum', loss, mask, { dpSize: 3 }).loss, 45, 1e-12);
});

test('empty mask: loss 0 and zero weights in every mode (verl gives NaN)', () => {
  const empty = [Float32Array.from([0, 0, 0]), new Float32Array(0)];
  const l = [Float64Array.from([NaN, Infinity, 7]), new Float64Array(0)];
  for (const mode of AGG_MODES) {
    const r = aggregateLoss(mode, l, empty);
    assert.equal(r.loss, 0, mode);
    assert.ok(r.weights_B_T.every((w) => w.every((x) => x === 0)), mode);
  }
});

test('full mask of a single sequence: every seq mode reduces to the obvious value', () => {
  const l = [Float64Array.from([0.5, -1.5, 2])];
  const m = [Float32Array.from([1, 1, 1])];
  close(aggregateLoss('token-mean', l, m).loss, 1 / 3, 1e-12);
  close(aggregateLoss('seq-mean-token-sum', l, m).loss, 1, 1e-12);
  close(aggregateLoss('seq-mean-token-mean', l, m).loss, 1 / (3 + 1e-8), 1e-12);
  close(aggregateLoss('seq-mean-token-sum-norm', l, m).loss, 1 / 3, 1e-12);
  assert.throws(() => aggregateLoss('mean' as AggMode, l, m), /unknown loss aggregation mode/);
});
