/**
 * DocMath numeric scoring: DocMath-Eval's `normalize`, `compare_two_numbers` and
 * `get_acc`, as used by QwenLong-L1's reward (`docmath.py`, ceil precision 3) and its
 * evaluation (`eval/docmath.py`, ceil precision 2). Specification: scorers.md §6 and
 * qwenlong-recipe.md §5.2. Python's `eval` is replaced by the safe evaluator in
 * `pyliteral.ts`; every exception the original would raise scores 0.
 */
import { pyStrip } from '../util/pytext.ts';
import { PyEvalError, pyEvalLiteral, pyToFloat, type PyValue } from './pyliteral.ts';

/** Python's `$` without MULTILINE: end of string, or just before a final newline. */
const END = '(?=\\n?$)';
/** Python `\d` in a str pattern is any Unicode decimal digit. */
const D = '\\p{Nd}';
const NUM = `(?:[${D},]*\\.*${D}+)`;

/** Step 8's four unit-stripping rules: [start-anchored test, unanchored search]. */
const UNIT_RULES: readonly [RegExp, RegExp][] = [
  [new RegExp(`^[-+]?${NUM} [^0-9 ]+${END}`, 'u'), new RegExp(`([-+]?${NUM}) [^0-9 ]+${END}`, 'u')],
  [new RegExp(`^[^0-9 ]+ [-+]?${NUM}${END}`, 'u'), new RegExp(`[^0-9 ]+ ([-+]?${NUM})${END}`, 'u')],
  [new RegExp(`^[-+]?${NUM}[^${D}]{1,2}${END}`, 'u'), new RegExp(`([-+]?${NUM})[^${D}]{1,2}${END}`, 'u')],
  [new RegExp(`^[^\\-+${D}]{1,2}${NUM}${END}`, 'u'), new RegExp(`[^\\-+${D}]{1,2}(${NUM})${END}`, 'u')],
];
const POW10_RE = new RegExp(`10\\^(-?${D}+)`, 'gu');
const IS_NUMBER_RE = new RegExp(`^[-+]?(${D}{1,3}(,${D}{3})*|(${D}+))(\\.${D}+)?${END}`, 'u');
const MONEY = ['£', '€', '¥', 'million', 'billion', 'thousand', 'US', 'USD', 'RMB'];

/**
 * The string `normalize` passes to `eval` (steps 1–12 of scorers.md §6). Exposed for
 * tests and for debugging what the scorer saw.
 */
export function docmathNormalizeString(prediction: string): string {
  // 1. trim, strip trailing dots.
  let p = pyStrip(prediction).replace(/\.+$/, '');
  // 2. currency and scale words, plain replace (also inside words: "USD" -> "D").
  for (const w of MONEY) p = p.replaceAll(w, '');
  // 3. right side of the last '=' / '≈'.
  if (p.includes('=')) p = pyStrip(p.split('=').at(-1) as string);
  if (p.includes('≈')) p = pyStrip(p.split('≈').at(-1) as string);
  // 4. symbols.
  for (const ch of ['`', '%', '$', '°']) p = p.replaceAll(ch, '');
  // 5–6. booleans.
  if (p === 'true' || p === 'yes') p = 'True';
  else if (p === 'false' || p === 'no') p = 'False';
  if (p.includes('True') || p.includes('False')) p = p.includes('True') ? 'True' : 'False';
  // 7. approximations and alternatives.
  if (p.includes('approximately')) p = pyStrip(p.replaceAll('approximately', ''));
  if (p.includes(' or ')) p = p.split(' or ')[0] as string;
  // 8. units before or after the number.
  for (const [test, search] of UNIT_RULES) {
    if (test.test(p)) {
      const m = search.exec(p);
      if (m) p = m[1] as string;
    }
  }
  // 9. powers of ten and multiplication signs.
  if (p.includes('10^')) p = p.replace(POW10_RE, 'math.pow(10, $1)');
  if (p.includes(' x ')) p = p.replaceAll(' x ', '*');
  if (p.includes(' × ')) p = p.replaceAll(' × ', '*');
  // 10. thousands separators of a plain number.
  if (IS_NUMBER_RE.test(p)) p = p.replaceAll(',', '');
  // 11. option letters.
  if (['(a)', '(b)', '(c)', '(d)'].some((o) => p.includes(o))) {
    const m = /\([a-d]\)/.exec(p) as RegExpExecArray;
    p = `"${m[0]}"`;
  }
  // 12. empty -> '0'.
  return p === '' ? '0' : p;
}

/**
 * DocMath-Eval `normalize(prediction)`: the Python value the scorer compares.
 * Throws `PyEvalError` where the original raises (an empty tuple or set hits
 * `prediction[0]`), which callers score as 0.
 */
export function docmathNormalize(prediction: string): PyValue {
  const src = docmathNormalizeString(prediction);
  // 13. eval; any error -> 0.
  let v: PyValue;
  try {
    v = pyEvalLiteral(src);
  } catch (err) {
    if (!(err instanceof PyEvalError)) throw err;
    v = { kind: 'int', value: 0n };
  }
  // 14. sets and tuples become lists (the original indexes [0] to check element types).
  if (v.kind === 'set' || v.kind === 'tuple') {
    if (v.value.length === 0) throw new PyEvalError('IndexError: list index out of range');
    return { kind: 'list', value: v.value };
  }
  return v;
}

export interface CompareOptions {
  /** Ceil precision: 3 in the RL reward and DocMath-Eval, 2 in QwenLong-L1's eval. */
  decimals?: number;
  /**
   * How the power-of-ten test is written: `difference` = `int(log10 v1 − log10 v2) ==
   * log10 v1 − log10 v2` (RL reward), `ratio` = `int(log10(v1/v2)) == log10(v1/v2)` (eval).
   */
  logForm?: 'difference' | 'ratio';
}

/** `within_eps`: the 0.15 % relative tolerance, written as the original writes it. */
function withinEps(pred: number, gt: number): boolean {
  const eps = Math.abs(gt) * 0.0015;
  return pred >= gt - eps && pred <= gt + eps;
}

/** Python `int(x) == x` for a float: raises on inf/nan (OverflowError/ValueError). */
function isIntegral(x: number): boolean {
  if (!Number.isFinite(x)) throw new PyEvalError('cannot convert float infinity or NaN to integer');
  return Math.trunc(x) === x;
}

/** `math.ceil(x * 10**d) / 10**d`; `ceil` of inf/nan raises. */
function roundUp(x: number, d: number): number {
  const factor = 10 ** d;
  const y = x * factor;
  if (!Number.isFinite(y)) throw new PyEvalError('cannot convert float infinity or NaN to integer');
  return Math.ceil(y) / factor;
}

function log10(x: number): number {
  if (x <= 0) throw new PyEvalError('ValueError: math domain error');
  return Math.log10(x);
}

function compareRaw(p: PyValue, gt: PyValue, decimals: number, logForm: 'difference' | 'ratio'): boolean {
  // (1) lists and strings never match; a bool prediction is an int (0/1) in Python.
  if (p.kind !== 'int' && p.kind !== 'float' && p.kind !== 'bool') {
    if (p.kind === 'none') throw new PyEvalError(`ValueError: ${p.kind}`);
    return false;
  }
  const fp = pyToFloat(p);
  const fg = pyToFloat(gt);
  // (2) magnitudes only from here on.
  const v1 = Math.max(Math.abs(fg), Math.abs(fp));
  const v2 = Math.min(Math.abs(fg), Math.abs(fp));
  // (3) exact power-of-ten ratio (covers equality), on floating-point logs as the source.
  if (v1 !== 0 && v2 !== 0) {
    const d = logForm === 'difference' ? log10(v1) - log10(v2) : log10(v1 / v2);
    if (isIntegral(d)) return true;
  }
  // (4) percent / scale slack; the first arm whose conditions hold wins.
  if (v2 <= v1 / 50 && withinEps(v2 * 100, v1)) return true;
  else if (v2 <= v1 / 500 && withinEps(v2 * 1000, v1)) return true;
  else if (v2 <= v1 / 50000 && withinEps(v2 * 100000, v1)) return true;
  // (5) ceil rounding at `decimals` places.
  if (roundUp(v1, decimals) === roundUp(v2, decimals)) return true;
  // (6) relative tolerance with signs kept.
  return withinEps(fp, fg);
}

/**
 * DocMath-Eval `compare_two_numbers(p, gt)` with every branch (scorers.md §6). Any
 * exception of the original (overflow, infinities, nan) gives false.
 */
export function compareNumbers(p: PyValue | number, gt: PyValue | number, opts: CompareOptions = {}): boolean {
  const pv: PyValue = typeof p === 'number' ? { kind: 'float', value: p } : p;
  const gv: PyValue = typeof gt === 'number' ? { kind: 'float', value: gt } : gt;
  try {
    return compareRaw(pv, gv, opts.decimals ?? 3, opts.logForm ?? 'difference');
  } catch (err) {
    if (err instanceof PyEvalError) return false;
    throw err;
  }
}

/** Python `==` between a prediction and a bool gold. */
function pyEqualsBool(p: PyValue, gold: boolean): boolean {
  if (p.kind !== 'int' && p.kind !== 'float' && p.kind !== 'bool') return false;
  return pyToFloat(p) === (gold ? 1 : 0);
}

/**
 * DocMath-Eval `get_acc(prediction, gt)` on extracted strings: normalise both, require a
 * numeric or bool gold, compare. A null or empty prediction scores 0 (QwenLong-L1 calls
 * `get_acc` only `if item['pred']`; "the answer is ." extracts to ""), as does any failure.
 */
export function docmathScore(prediction: string | null, gold: string | null, opts: CompareOptions = {}): 0 | 1 {
  if (prediction === null || prediction === '' || gold === null) return 0;
  try {
    const p = docmathNormalize(prediction);
    const g = docmathNormalize(gold);
    if (g.kind === 'bool') return pyEqualsBool(p, g.value) ? 1 : 0;
    if (g.kind !== 'int' && g.kind !== 'float') return 0;
    return compareNumbers(p, g, opts) ? 1 : 0;
  } catch (err) {
    if (err instanceof PyEvalError) return 0;
    throw err;
  }
}
