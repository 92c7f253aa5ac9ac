/**
 * AdamW (Loshchilov & Hutter 2019: decoupled weight decay, bias-corrected moments) over one
 * flat parameter buffer, with global-norm clipping as PyTorch's `clip_grad_norm_`
 * (coefficient max_norm / (norm + 1e-6), applied only when below 1). Gradients accumulate
 * across forwardBackward calls; a step consumes and zeroes them. Weight decay applies to
 * every parameter (verl's FSDP AdamW over `model.parameters()`).
 */
import type { Kernels } from '../engine/kernels.ts';
import type { AdamParams } from '../policy/types.ts';

export interface AdamWState {
  step: number;
  m: Float32Array;
  v: Float32Array;
}

export class AdamW {
  step = 0;
  readonly m: Float32Array;
  readonly v: Float32Array;

  constructor(readonly size: number) {
    this.m = new Float32Array(size);
    this.v = new Float32Array(size);
  }

  /** Global L2 norm of the gradient (float64 sum of squares, fixed order). */
  static gradNorm(k: Kernels, grads: Float32Array): number {
    return Math.sqrt(k.sumSquares(grads));
  }

  /** One update of params from grads; zeroes grads. Returns the norm before clipping. */
  apply(k: Kernels, params: Float32Array, grads: Float32Array, p: AdamParams): { gradNorm: number; step: number } {
    const gradNorm = AdamW.gradNorm(k, grads);
    let scale = 1;
    if (p.gradClipNorm > 0) {
      const coef = p.gradClipNorm / (gradNorm + 1e-6);
      if (coef < 1) scale = coef;
    }
    this.step++;
    if (Number.isFinite(gradNorm)) {
      k.adamw(params, grads, this.m, this.v, p.learningRate, p.beta1, p.beta2, p.eps, p.weightDecay, this.step, scale);
    }
    grads.fill(0);
    return { gradNorm, step: this.step };
  }
}
