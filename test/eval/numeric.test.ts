/**
 * pyRound, NumPy summation and pass@k against values computed by CPython 3.11
 * (`round`), NumPy 2.4 (`np.mean`, `np.sum`) and exact fractions (`math.comb`), stored in
 * fixtures/python-goldens.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pyRound, npMean, npSum, passAtK, meanPassAtK, cpLength, cpSlice, compareCodePoints } from '../../src/eval/index.ts';

const G = JSON.parse(readFileSync(new URL('fixtures/python-goldens.json', import.meta.url), 'utf8')) as {
  pyround: [string, number, string][];
  npmean: [number[], string, string, string][];
  passk: [number, number, number, number][];
};

test('pyRound: the documented ties', () => {
  assert.equal(pyRound(0.125, 2), 0.12);
  assert.equal(pyRound(2.675, 2), 2.67);
  assert.equal(pyRound(0.5), 0);
  assert.equal(pyRound(1.5), 2);
  assert.equal(pyRound(2.5), 2);
  assert.ok(Object.is(pyRound(-0.4), -0));
  assert.equal(pyRound(1250, -2), 1200);
  assert.equal(pyRound(1350, -2), 1400);
  // toFixed would say 0.13 and 2.68: the point of pyRound.
  assert.equal((0.125).toFixed(2), '0.13');
});

test(`pyRound matches CPython round() on ${G.pyround.length} cases`, () => {
  for (const [x, n, want] of G.pyround) {
    const got = pyRound(Number(x), n);
    assert.ok(Object.is(got, Number(want)), `round(${x}, ${n}): want ${want}, got ${got}`);
  }
});

test('pyRound leaves non-finite values alone', () => {
  assert.ok(Number.isNaN(pyRound(NaN, 2)));
  assert.equal(pyRound(Infinity, 2), Infinity);
});

test('npSum / npMean follow NumPy pairwise summation bit for bit', () => {
  for (const [a, mean, sum, r] of G.npmean) {
    assert.ok(Object.is(npMean(a), Number(mean)), `mean of ${a.length}`);
    assert.ok(Object.is(npSum(a), Number(sum)), `sum of ${a.length}`);
    assert.equal(pyRound(100 * npMean(a), 2), Number(r));
  }
  assert.ok(Number.isNaN(npMean([])));
});

test('passAtK matches 1 - C(n-c,k)/C(n,k) computed exactly', () => {
  for (const [n, c, k, want] of G.passk) {
    const got = passAtK(n, c, k);
    assert.ok(Math.abs(got - want) <= 1e-12, `pass@${k} n=${n} c=${c}: ${got} vs ${want}`);
  }
});

test('passAtK edge cases', () => {
  assert.equal(passAtK(16, 0, 1), 0);
  assert.equal(passAtK(16, 0, 16), 0);
  assert.equal(passAtK(16, 15, 2), 1); // n - c < k
  assert.equal(passAtK(16, 16, 1), 1);
  assert.equal(passAtK(4, 1, 1), 0.25);
  assert.equal(passAtK(10000, 1, 1), 1 - (1 - 1 / 10000)); // no overflow at large n
  assert.throws(() => passAtK(4, 5, 1), RangeError);
  assert.throws(() => passAtK(4, 1, 5), RangeError);
  assert.throws(() => passAtK(4, 1, 0), RangeError);
  assert.equal(meanPassAtK([{ n: 4, c: 1 }, { n: 4, c: 4 }], 1), 0.625);
});

test('code-point helpers count astral characters once', () => {
  assert.equal(cpLength('a😀b'), 3);
  assert.equal('a😀b'.length, 4);
  assert.equal(cpSlice('a😀b', 1, 2), '😀');
  assert.equal(cpSlice('a😀b', -1), 'b');
  // UTF-16 order puts U+FF61 after U+1F600's surrogates' lead? Code-point order does not.
  assert.ok(compareCodePoints('\uff61', '😀') < 0);
  assert.ok('\uff61' > '😀'); // JS default (UTF-16 units) disagrees
});
