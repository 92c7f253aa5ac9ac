/**
 * Python's `repr(float)` in TypeScript.
 *
 * Both languages print the shortest digit string that round-trips, but lay it out
 * differently (scorers.md §13): Python switches to exponent form when the decimal
 * exponent is below -4 or at least 16 and always shows a fractional part (`3.0`), with a
 * two-digit signed exponent (`1e-05`, `1e+16`); JavaScript's `String` switches at -7 and
 * 21 and drops `.0`. QwenLong-L1's DocMath evaluation formats the gold with `str(float)`
 * before extracting the number from it, so `1e-05` becomes `'1'` (scorers.md §5);
 * reproducing that needs Python's layout.
 */

/** Shortest round-trip decimal digits and the exponent of the first digit (x = d.ddd × 10^exp). */
function shortestDigits(x: number): { digits: string; exp: number } {
  // toExponential() without an argument gives as many digits as needed to round-trip.
  const s = Math.abs(x).toExponential();
  const eAt = s.indexOf('e');
  const mantissa = s.slice(0, eAt).replace('.', '');
  return { digits: mantissa, exp: Number(s.slice(eAt + 1)) };
}

/** `repr(x)` of a Python float. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0.0`;
  const { digits, exp } = shortestDigits(x);
  // CPython's float_repr_style 'short': fixed notation iff -4 <= exp < 16.
  if (exp < -4 || exp >= 16) {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return `${sign}${digits}${'0'.repeat(intLen - digits.length)}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

/**
 * Python `str(v)` of a number read from JSON: integers print as ints unless `asFloat`
 * says the source value was a Python float (JSON loses that distinction: `5.0` parses as 5).
 */
export function pyNumberStr(v: number | bigint | boolean, asFloat = false): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint') return asFloat ? pyFloatRepr(Number(v)) : v.toString();
  if (!asFloat && Number.isSafeInteger(v)) return String(v);
  return pyFloatRepr(v);
}
