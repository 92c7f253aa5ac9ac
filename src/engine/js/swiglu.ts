/**
 * SwiGLU (Shazeer, "GLU Variants Improve Transformer", 2020): out = silu(g) * u with
 * silu(g) = g * sigmoid(g). d silu/dg = s (1 + g (1 - s)), s = sigmoid(g).
 */
export function swigluForwardJs(gate: Float32Array, up: Float32Array, out: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i]!;
    out[i] = (g / (1 + Math.exp(-g))) * up[i]!;
  }
}

export function swigluBackwardJs(gate: Float32Array, up: Float32Array, dOut: Float32Array, dGate: Float32Array, dUp: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i]!;
    const u = up[i]!;
    const d = dOut[i]!;
    const s = 1 / (1 + Math.exp(-g));
    dGate[i] = d * u * s * (1 + g * (1 - s));
    dUp[i] = d * g * s;
  }
}
