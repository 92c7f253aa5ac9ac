import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  compareNumbers,
  docmathNormalize,
  docmathScore,
  extractDocmathAnswer,
  pyEvalLiteral,
  pyFloatRepr,
  type PyValue,
} from '../../src/reward/index.ts';

interface Golden {
  normalize: [string, string][];
  acc: [string, string, number, number][];
  repr: [number, string][];
}
const golden = JSON.parse(readFileSync(new URL('./fixtures/docmath-golden.json', import.meta.url), 'utf8')) as Golden;

/** Python repr() of a normalised value, to compare with CPython's output. */
function pyRepr(v: PyValue): string {
  switch (v.kind) {
    case 'int': return v.value.toString();
    case 'float': return Number.isFinite(v.value) ? pyFloatRepr(v.value) : v.value > 0 ? 'inf' : '-inf';
    case 'bool': return v.value ? 'True' : 'False';
    case 'str': return `'${v.value}'`;
    case 'none': return 'None';
    case 'list': return `[${v.value.map(pyRepr).join(', ')}]`;
    case 'tuple': return `(${v.value.map(pyRepr).join(', ')})`;
    case 'set': return `{${v.value.map(pyRepr).join(', ')}}`;
  }
}

test('normalize matches CPython on every step of scorers.md §6 (golden table)', () => {
  for (const [input, expected] of golden.normalize) {
    let got: string;
    try {
      got = pyRepr(docmathNormalize(input));
    } catch {
      got = 'THROW';
    }
    assert.equal(got, expected, `normalize(${JSON.stringify(input)})`);
  }
});

test('get_acc matches CPython: RL (d=3, log difference) and L1 eval (d=2, log ratio)', () => {
  for (const [p, g, rl, ev] of golden.acc) {
    assert.equal(docmathScore(p, g), rl, `rl ${p} vs ${g}`);
    assert.equal(docmathScore(p, g, { decimals: 2, logForm: 'ratio' }), ev, `eval ${p} vs ${g}`);
  }
});

test('pyFloatRepr lays digits out like Python repr', () => {
  for (const [x, expected] of golden.repr) assert.equal(pyFloatRepr(x), expected, String(x));
  assert.equal(pyFloatRepr(NaN), 'nan');
  assert.equal(pyFloatRepr(-Infinity), '-inf');
});

test('an empty extracted prediction scores 0 even against a zero gold', () => {
  assert.equal(extractDocmathAnswer('Therefore, the answer is .'), '');
  assert.equal(docmathScore('', '0'), 0);
  assert.equal(docmathScore('0', '0'), 1);
  assert.equal(docmathScore(null, '0'), 0);
});

test('eval gold formatting quirk: str(1e-05) then extraction gives "1"', () => {
  const gold = extractDocmathAnswer(`Therefore, the answer is ${pyFloatRepr(1e-5)}.`);
  assert.equal(gold, '1');
});

test('compareNumbers branches', () => {
  const f = (x: number): PyValue => ({ kind: 'float', value: x });
  // power of ten, both directions, sign ignored
  assert.equal(compareNumbers(f(5), f(5000)), true);
  assert.equal(compareNumbers(f(-0.05), f(5)), true);
  // percent arm (x100) with 0.15 % slack; x1000 arm; x100000 arm
  assert.equal(compareNumbers(f(12.34), f(0.1235)), true);
  assert.equal(compareNumbers(f(12.34), f(0.1240)), false);
  assert.equal(compareNumbers(f(1234.5), f(1.2346)), true);
  assert.equal(compareNumbers(f(123450), f(1.2346)), true);
  // ceil rounding: 3 decimals vs 2
  assert.equal(compareNumbers(f(2.0001), f(2.009)), false);
  assert.equal(compareNumbers(f(2.0001), f(2.009), { decimals: 2 }), true);
  // final relative tolerance keeps the sign
  assert.equal(compareNumbers(f(-6.0), f(6.001)), false);
  assert.equal(compareNumbers(f(6.0), f(6.001)), true);
  // lists and strings never match; bool acts as 0/1
  assert.equal(compareNumbers({ kind: 'list', value: [f(1)] }, f(1)), false);
  assert.equal(compareNumbers({ kind: 'str', value: '1' }, f(1)), false);
  assert.equal(compareNumbers({ kind: 'bool', value: true }, f(1)), true);
  // overflow and infinities are exceptions in Python -> false
  assert.equal(compareNumbers(f(Infinity), f(5)), false);
  assert.equal(compareNumbers({ kind: 'int', value: 10n ** 400n }, f(5)), false);
  // both zero -> true via the percent arm
  assert.equal(compareNumbers(f(0), f(0)), true);
  // exact powers of ten across the float range
  for (let k = -300; k <= 300; k += 7) assert.equal(compareNumbers(f(10 ** k), f(1)), true, `1e${k}`);
});

test('the safe evaluator covers Python literal syntax and refuses code', () => {
  const ok: [string, string][] = [
    ['12345678901234567890123', '12345678901234567890123'],
    ['1_000', '1000'], ['0o17', '15'], ['0b101', '5'], ['.5', '0.5'], ['12.', '12.0'],
    ['-2**2', '-4'], ['2**-1', '0.5'], ['7//2', '3'], ['-7//2', '-4'], ['(1,)', '(1)'], ['True*2', '2'],
    ['"a\\"b"', `'a"b'`], ['math.sqrt(16)', '4.0'], ['10^(-2)', '-12'],
    ['12 or 1/0', '12'], ['0 or 5', '5'], ['0 and 1/0', '0'], ['not 0', 'True'], ["'s' * 3", "'sss'"], ["'a' 'b'", "'ab'"],
    ['12or 5', '12'], ['\n\n7', '7'], ['math.pow(10, -21)', '1e-21'],
  ];
  for (const [src, want] of ok) {
    const v = pyEvalLiteral(src);
    assert.equal(v.kind === 'tuple' ? `(${v.value.map(pyRepr).join(', ')})` : pyRepr(v), want, src);
  }
  for (const bad of ['01', '1.2.3', '__import__("os")', 'open("x")', 'abs(-1)', '5j', '1 2', "'''x'''", '9**9**9', 'math.pow(10, 400)', '1/0', '1 or', '12orange', '1\n2', "'x' * 10**7", '0 or 1/0']) {
    assert.throws(() => pyEvalLiteral(bad), { name: 'PyEvalError' }, bad);
  }
});
