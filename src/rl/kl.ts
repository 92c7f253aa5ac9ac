/**
 * KL penalty estimators between the policy and a reference, per token, with their
 * derivatives by the policy's log-probability (rl-algorithms.md §4; J. Schulman,
 * "Approximating KL divergence", http://joschu.net/blog/kl-approx.html), as verl
 * `kl_penalty`. With x = logπ − logπ_ref:
 * - `kl` / `k1`: x                                   (∂/∂logπ = 1)
 * - `abs`: |x|                                       (∂ = sign x, 0 at 0 as torch)
 * - `mse` / `k2`: ½x²                                (∂ = x)
 * - `low_var_kl` / `k3`: y = clamp(−x, −20, 20); clamp(eʸ − y − 1, −10, 10)
 *                                                    (∂ = 1 − eʸ inside both clamps, else 0)
 * - `<name>+` (e.g. `k3+`): forward value of `<name>`, gradient of k2, i.e.
 *   `k2 − sg(k2) + sg(value)` (verl's straight-through variants).
 * Clamp gradients follow torch: the gradient passes where lo ≤ input ≤ hi (inclusive).
 * `full` is not implemented (verl does not implement it either).
 */
import { UserError } from '../util/errors.ts';

export type KlBaseKind = 'kl' | 'k1' | 'abs' | 'mse' | 'k2' | 'low_var_kl' | 'k3';
export type KlKind = KlBaseKind | `${KlBaseKind}+`;

export const KL_KINDS: readonly KlKind[] = ['kl', 'k1', 'abs', 'mse', 'k2', 'low_var_kl', 'k3', 'kl+', 'k1+', 'abs+', 'mse+', 'k2+', 'low_var_kl+', 'k3+'];

export interface KlValue {
  /** The estimator's value. */
  value: number;
  /** ∂value/∂logprob (the surrogate's gradient for the `+` kinds). */
  grad: number;
}

/** Throws a `UserError` naming the kind when it is not one of `KL_KINDS`. */
export function checkKlKind(kind: string): asserts kind is KlKind {
  if (!(KL_KINDS as readonly string[]).includes(kind)) {
    throw new UserError(`unknown KL estimator "${kind}"; choose one of ${KL_KINDS.join(', ')}`);
  }
}

function base(kind: KlBaseKind, x: number): KlValue {
  switch (kind) {
    case 'kl':
    case 'k1':
      return { value: x, grad: 1 };
    case 'abs':
      return { value: Math.abs(x), grad: x > 0 ? 1 : x < 0 ? -1 : 0 };
    case 'mse':
    case 'k2':
      return { value: 0.5 * x * x, grad: x };
    case 'low_var_kl':
    case 'k3': {
      const raw = -x;
      const y = Math.min(20, Math.max(-20, raw));
      const dy = raw >= -20 && raw <= 20 ? -1 : 0;
      const k = Math.exp(y) - y - 1;
      const v = Math.min(10, Math.max(-10, k));
      const dk = k >= -10 && k <= 10 ? Math.exp(y) - 1 : 0;
      return { value: v, grad: dk === 0 || dy === 0 ? 0 : dk * dy };
    }
  }
}

/**
 * One token's KL estimate of `kind` at (logprob, refLogprob), with ∂/∂logprob.
 * `detachedLogprob` is the value stop-gradient terms are taken at (the `+` kinds'
 * `sg(...)`); it defaults to `logprob` and is separate only for gradient checks.
 */
export function klPenalty(kind: KlKind, logprob: number, refLogprob: number, detachedLogprob: number = logprob): KlValue {
  checkKlKind(kind);
  if (kind.endsWith('+')) {
    const b = kind.slice(0, -1) as KlBaseKind;
    const x = logprob - refLogprob;
    const xd = detachedLogprob - refLogprob;
    // k2 − sg(k2) + sg(value): value of `b` at the detached point, gradient of k2.
    const value = 0.5 * x * x - 0.5 * xd * xd + base(b, xd).value;
    return { value, grad: x };
  }
  return base(kind as KlBaseKind, logprob - refLogprob);
}
