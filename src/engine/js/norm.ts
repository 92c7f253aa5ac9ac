/**
 * RMSNorm (Zhang & Sennrich, 2019) as in Qwen/Llama: y = x * rstd * w with
 * rstd = 1 / sqrt(mean(x^2) + eps). Backward:
 * dx_i = rstd * (w_i dy_i - x_i * rstd^2 * mean_j(w_j dy_j x_j)), dw_i += dy_i x_i rstd.
 */
export function rmsnormForwardJs(x: Float32Array, weight: Float32Array, out: Float32Array, rstd: Float32Array, rows: number, dim: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let ss = 0;
    for (let i = 0; i < dim; i++) ss += x[o + i]! * x[o + i]!;
    const rs = Math.fround(1 / Math.sqrt(ss / dim + eps));
    rstd[r] = rs;
    for (let i = 0; i < dim; i++) out[o + i] = x[o + i]! * rs * weight[i]!;
  }
}

export function rmsnormBackwardJs(x: Float32Array, weight: Float32Array, rstd: Float32Array, dOut: Float32Array, dx: Float32Array, dWeight: Float32Array, rows: number, dim: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    const rs = rstd[r]!;
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += weight[i]! * dOut[o + i]! * x[o + i]!;
    const c = rs * rs * dot / dim;
    for (let i = 0; i < dim; i++) {
      const xi = x[o + i]!;
      const gi = dOut[o + i]!;
      dWeight[i]! += gi * xi * rs;
      dx[o + i] = rs * (weight[i]! * gi - xi * c);
    }
  }
}
