/**
 * Conversions between float32 and the 16-bit float formats of weight files
 * (bfloat16, IEEE half). Pure loops, exact: BF16 → F32 is `u16 << 16`
 * (ecosystem §3); F32 → BF16 and F32 → F16 round to nearest, ties to even.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** bfloat16 bits → float32 (exact). */
export function bf16ToF32Loop(src: Uint16Array, dst: Float32Array): void {
  const out = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) << 16;
}

/** float32 → bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN. */
export function f32ToBf16Loop(src: Float32Array, dst: Uint16Array): void {
  // Int32 view keeps the arithmetic in small integers (a Uint32 above 2^31 is a heap number in V8).
  const bits = new Int32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i] as number;
    if ((b & 0x7fffffff) > 0x7f800000) dst[i] = (b >>> 16) | 0x0040;
    else dst[i] = (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
  }
}

/** One IEEE half (bits) → float32 value (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const man = h & 0x3ff;
  if (exp === 0) return sign * man * 2 ** -24;
  if (exp === 31) return man === 0 ? sign * Infinity : NaN;
  return sign * (1 + man / 1024) * 2 ** (exp - 15);
}

let halfTable: Float32Array | null = null;

/** IEEE half bits → float32 (exact), through a 65536-entry table (fast on large checkpoints). */
export function f16ToF32Loop(src: Uint16Array, dst: Float32Array): void {
  if (src.length < 4096) {
    for (let i = 0; i < src.length; i++) dst[i] = halfToFloat(src[i] as number);
    return;
  }
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  const t = halfTable;
  for (let i = 0; i < src.length; i++) dst[i] = t[src[i] as number] as number;
}

/** One float32 value → IEEE half bits, round to nearest even, overflow → ±Inf. */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const b = u32[0] as number;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let man = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full mantissa (with the hidden bit) right.
    if (e < -10) return sign;
    man |= 0x800000;
    const shift = 14 - e; // 13 + (1 - e)
    const half = 1 << (shift - 1);
    let m = man >>> shift;
    const rem = man & ((1 << shift) - 1);
    if (rem > half || (rem === half && (m & 1) === 1)) m++;
    return sign | m; // m may carry into the smallest normal, which is still correct
  }
  let m = man >>> 13;
  const rem = man & 0x1fff;
  let out = (e << 10) | m;
  if (rem > 0x1000 || (rem === 0x1000 && (m & 1) === 1)) out++; // carry may bump the exponent (to Inf at the top)
  m = out;
  return sign | m;
}

/** float32 → IEEE half bits. */
export function f32ToF16Loop(src: Float32Array, dst: Uint16Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = floatToHalf(src[i] as number);
}
