/**
 * RULER scorers (NVIDIA/RULER `scripts/eval/synthetic/constants.py`, `evaluate.py`;
 * scorers.md §9).
 */
import { pyStrip } from '../../util/pytext.ts';
import { pyRound } from './pyround.ts';

/** `postprocess_pred`: strip, control characters `\x00-\x1f` → `\n`, strip again. */
export function rulerPostprocess(prediction: string): string {
  // eslint-disable-next-line no-control-regex
  return pyStrip(pyStrip(prediction).replace(/[\x00-\x1f]/g, '\n'));
}

/** Share of the references found (case-insensitive substring) in one prediction. */
export function stringMatchAllOne(prediction: string, refs_R: readonly string[]): number {
  const p = prediction.toLowerCase();
  let hit = 0;
  for (const r of refs_R) if (p.includes(r.toLowerCase())) hit += 1.0;
  return hit / refs_R.length;
}

/** 1 if any reference occurs in the prediction (case-insensitive), else 0. */
export function stringMatchPartOne(prediction: string, refs_R: readonly string[]): number {
  const p = prediction.toLowerCase();
  return refs_R.some((r) => p.includes(r.toLowerCase())) ? 1.0 : 0.0;
}

function pySumThenPercent(scores_N: readonly number[]): number {
  let s = 0;
  for (const x of scores_N) s += x;
  return pyRound((s / scores_N.length) * 100, 2);
}

/**
 * `string_match_all` (niah, vt, cwe, fwe): `round(sum(share)/n·100, 2)`. The sum is a
 * plain left-to-right float sum (CPython < 3.12 `sum`; 3.12+ compensates, which can move
 * the last bit).
 */
export function stringMatchAll(preds_N: readonly string[], refs_N: readonly (readonly string[])[]): number {
  return pySumThenPercent(preds_N.map((p, i) => stringMatchAllOne(p, refs_N[i] as readonly string[])));
}

/** `string_match_part` (qa): `round(sum(max hit)/n·100, 2)`. */
export function stringMatchPart(preds_N: readonly string[], refs_N: readonly (readonly string[])[]): number {
  return pySumThenPercent(preds_N.map((p, i) => stringMatchPartOne(p, refs_N[i] as readonly string[])));
}
