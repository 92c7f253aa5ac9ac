/**
 * Rotary position embedding (Su et al., RoFormer, 2021) in Hugging Face's
 * `rotate_half` layout: dimension i pairs with i + D/2,
 * (x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin). cos/sin are [maxPos, D/2] tables,
 * YaRN's attention factor already folded in. Backward applies the transpose
 * (x1, x2) -> (x1 cos + x2 sin, x2 cos - x1 sin).
 */
function rope(x: Float32Array, rows: number, nHeads: number, headDim: number, rowStride: number,
  positions: Int32Array, cos: Float32Array, sin: Float32Array, sign: number): void {
  const half = headDim >> 1;
  for (let r = 0; r < rows; r++) {
    const t = positions[r]! * half;
    for (let h = 0; h < nHeads; h++) {
      const o = r * rowStride + h * headDim;
      for (let i = 0; i < half; i++) {
        const c = cos[t + i]!;
        const s = sign * sin[t + i]!;
        const x1 = x[o + i]!;
        const x2 = x[o + i + half]!;
        x[o + i] = x1 * c - x2 * s;
        x[o + i + half] = x2 * c + x1 * s;
      }
    }
  }
}

export function ropeForwardJs(x: Float32Array, rows: number, nHeads: number, headDim: number, rowStride: number, positions: Int32Array, cos: Float32Array, sin: Float32Array): void {
  rope(x, rows, nHeads, headDim, rowStride, positions, cos, sin, 1);
}

export function ropeBackwardJs(dx: Float32Array, rows: number, nHeads: number, headDim: number, rowStride: number, positions: Int32Array, cos: Float32Array, sin: Float32Array): void {
  rope(dx, rows, nHeads, headDim, rowStride, positions, cos, sin, -1);
}
