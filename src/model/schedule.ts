/**
 * Learning-rate schedules as Hugging Face transformers' `get_*_schedule_with_warmup`
 * (LambdaLR over the optimizer step index s = 0, 1, ...): during warmup
 * lr·s/warmup; then constant, linear decay, or cosine decay (0.5·(1 + cos(π·progress))),
 * down to `minLrRatio`·lr (0 in HF).
 *
 * `wsd` is warmup-stable-decay (Hu et al. 2024, MiniCPM §4; HF's
 * `get_wsd_schedule` with a linear decay): the peak rate until the last `decayRatio` of the
 * steps, then linear down to `minLrRatio`·lr. The demo's pretraining needs the final decay
 * (an annealed base fine-tunes better, docs/demo-study.md §11) while a long stable phase keeps
 * the length curriculum's later stages at the full rate.
 */
export interface LrSchedule {
  type: 'constant' | 'linear' | 'cosine' | 'wsd';
  /** Peak learning rate. */
  lr: number;
  warmupSteps?: number;
  /** Total optimizer steps (needed by linear and cosine). */
  totalSteps?: number;
  /** Floor as a fraction of lr for linear, cosine and wsd (default 0). */
  minLrRatio?: number;
  /** wsd: share of the total steps spent decaying at the end (default 0.2). */
  decayRatio?: number;
}

/** Learning rate at optimizer step `step` (0-based). */
export function learningRateAt(s: LrSchedule, step: number): number {
  const warm = s.warmupSteps ?? 0;
  if (step < warm) return (s.lr * step) / Math.max(1, warm);
  if (s.type === 'constant') return s.lr;
  const total = s.totalSteps ?? 0;
  const minR = s.minLrRatio ?? 0;
  if (s.type === 'wsd') {
    const decaySteps = Math.max(1, Math.round(total * (s.decayRatio ?? 0.2)));
    const start = Math.max(warm, total - decaySteps);
    if (step < start) return s.lr;
    const f = 1 - Math.min(1, (step - start) / Math.max(1, total - start));
    return s.lr * (minR + (1 - minR) * f);
  }
  const progress = total > warm ? Math.min(1, (step - warm) / (total - warm)) : 1;
  const f = s.type === 'linear' ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
  return s.lr * (minR + (1 - minR) * f);
}
