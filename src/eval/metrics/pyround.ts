/**
 * Python's `round(x, n)` for floats, and the code-point helpers the reference scorers
 * assume (scorers.md §13).
 *
 * Python rounds the exact binary value of the double half-to-even (CPython
 * `float.__round__` goes through correctly rounded dtoa), so `round(0.125, 2) = 0.12`
 * (0.125 is exact: a true tie, to even) and `round(2.675, 2) = 2.67` (the double is
 * 2.67499999…). `toFixed` rounds ties up and `Math.round(x*100)/100` adds a rounding
 * step of its own; both disagree with Python. Here the double is expanded exactly as a
 * BigInt fraction, rounded half-even, and the decimal result parsed back (JS number
 * parsing is correctly rounded, as Python's is).
 */

/** Exact value of a finite double as `mant · 2^exp` (mant a signed BigInt). */
function decompose(x: number): { mant: bigint; exp: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  return { mant: sign * mant, exp };
}

/** Half-even integer division of non-negative `num` by positive `den`. */
function divHalfEven(num: bigint, den: bigint): bigint {
  const q = num / den;
  const twiceR = 2n * (num % den);
  if (twiceR > den || (twiceR === den && q % 2n === 1n)) return q + 1n;
  return q;
}

/**
 * Python 3 `round(x, ndigits)` on a float: half-to-even on the exact binary value.
 * `ndigits` may be negative (`round(1250.0, -2) = 1200.0`). NaN and ±Infinity come
 * back unchanged; the sign of zero is kept as Python keeps it.
 */
export function pyRound(x: number, ndigits = 0): number {
  if (!Number.isFinite(x) || x === 0) return x;
  if (!Number.isInteger(ndigits)) throw new RangeError(`pyRound: ndigits must be an integer, got ${ndigits}`);
  // CPython: beyond these bounds the result is x itself or a signed zero.
  if (ndigits > 323) return x;
  if (ndigits < -308) return 0 * x;
  const { mant, exp } = decompose(x);
  const neg = mant < 0n;
  const m = neg ? -mant : mant;
  // value·10^n = m · 2^exp · 10^n = num / den exactly.
  let num = m;
  let den = 1n;
  if (exp >= 0) num <<= BigInt(exp);
  else den <<= BigInt(-exp);
  if (ndigits >= 0) num *= 10n ** BigInt(ndigits);
  else den *= 10n ** BigInt(-ndigits);
  const q = divHalfEven(num, den);
  const text = `${q}e${-ndigits}`;
  const out = Number(text);
  if (!Number.isFinite(out)) throw new RangeError(`pyRound: overflow rounding ${x}`);
  // Python keeps the sign of x on a zero result: round(-0.4) == -0.0.
  return neg ? -out : out;
}

/** Python `len(s)`: number of code points, not UTF-16 units. */
export function cpLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The code points of `s` as an array of one-code-point strings (Python indexing). */
export function codePoints(s: string): string[] {
  return Array.from(s);
}

/** Python `s[start:end]` over code points (negative indices count from the end). */
export function cpSlice(s: string, start?: number, end?: number): string {
  return Array.from(s).slice(start, end).join('');
}

/** Compares strings by code point, as Python's `sorted()` orders `str`. */
export function compareCodePoints(a: string, b: string): number {
  const A = Array.from(a);
  const B = Array.from(b);
  const n = Math.min(A.length, B.length);
  for (let i = 0; i < n; i++) {
    const d = (A[i] as string).codePointAt(0)! - (B[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return A.length - B.length;
}

/** Python `round(100 * total / n, 2)` in the order LongBench writes it. */
export function pyPercent(total: number, n: number, ndigits = 2): number {
  return pyRound((100 * total) / n, ndigits);
}
