/**
 * Learning-rate schedules as Hugging Face transformers' `get_*_schedule_with_warmup`
 * (LambdaLR over the optimizer step index s = 0, 1, ...): during warmup
 * lr·s/warmup; then constant, linear decay, or cosine decay (0.5·(1 + cos(π·progress))),
 * down to `minLrRatio`·lr (0 in HF).
 */
export interface LrSchedule {
  type: 'constant' | 'linear' | 'cosine';
  /** Peak learning rate. */
  lr: number;
  warmupSteps?: number;
  /** Total optimizer steps (needed by linear and cosine). */
  totalSteps?: number;
  /** Floor as a fraction of lr for linear and cosine (default 0). */
  minLrRatio?: number;
}

/** Learning rate at optimizer step `step` (0-based). */
export function learningRateAt(s: LrSchedule, step: number): number {
  const warm = s.warmupSteps ?? 0;
  if (step < warm) return (s.lr * step) / Math.max(1, warm);
  if (s.type === 'constant') return s.lr;
  const total = s.totalSteps ?? 0;
  const minR = s.minLrRatio ?? 0;
  const progress = total > warm ? Math.min(1, (step - warm) / (total - warm)) : 1;
  const f = s.type === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
  return s.lr * (minR + (1 - minR) * f);
}
