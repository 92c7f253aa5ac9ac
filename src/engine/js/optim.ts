/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", 2019) in the
 * exact order PyTorch's `torch.optim.AdamW` (single-tensor path) uses:
 *   p *= 1 - lr*wd;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
 *   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps),
 * with g = grad * gradScale (global-norm clipping folds its factor in here).
 */
export function adamwJs(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array,
  lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number, gradScale: number): void {
  const bc1 = 1 - Math.pow(beta1, step);
  const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
  const stepSize = lr / bc1;
  const decay = 1 - lr * weightDecay;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]! * gradScale;
    const mi = Math.fround(beta1 * m[i]! + (1 - beta1) * g);
    const vi = Math.fround(beta2 * v[i]! + (1 - beta2) * g * g);
    m[i] = mi;
    v[i] = vi;
    param[i] = param[i]! * decay - stepSize * mi / (Math.sqrt(vi) / bc2Sqrt + eps);
  }
}

/** Sum of squares in float64, left to right. */
export function sumSquaresJs(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return s;
}

export function axpyJs(n: number, a: number, x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < n; i++) y[i]! += a * x[i]!;
}
