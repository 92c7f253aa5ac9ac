/**
 * ChartAxis arithmetic for charts: "nice" tick steps of 1, 2 or 5 times a power of ten
 * (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990; the same rule as
 * d3-array's `ticks`), domains widened to whole steps, and tick label formatting.
 */

/** A step of 1, 2 or 5 × 10^k close to span / count. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f >= 7.07 ? 10 : f >= 3.16 ? 5 : f >= 1.41 ? 2 : 1) * p;
}

export interface ChartAxis {
  min: number;
  max: number;
  step: number;
  ticks: number[];
}

/**
 * A nice axis covering [lo, hi] with about `count` ticks. A flat range is widened
 * (±1 around 0, else ±10% of the value) so a constant series still gets an axis.
 * `minStep` keeps ticks on whole numbers for axes such as steps (minStep 1).
 */
export function niceAxis(lo: number, hi: number, count = 5, minStep = 0): ChartAxis {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = 0;
    hi = 1;
  }
  if (lo > hi) [lo, hi] = [hi, lo];
  if (hi - lo < 1e-12 * Math.max(1, Math.abs(lo))) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const step = Math.max(minStep, niceStep(hi - lo, count));
  const min = Math.floor(lo / step + 1e-9) * step;
  const max = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  const n = Math.round((max - min) / step);
  for (let i = 0; i <= n; i++) ticks.push(roundTo(min + i * step, step));
  return { min: roundTo(min, step), max: roundTo(max, step), step, ticks };
}

/** Removes float noise (0.30000000000000004) by rounding to the step's decimals. */
function roundTo(x: number, step: number): number {
  const d = decimalsOf(step);
  return Number(x.toFixed(Math.min(20, d)));
}

function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** A tick label with as many decimals as the step needs; 12k / 1.5M for large values. */
export function formatTick(x: number, step: number): string {
  const a = Math.abs(x);
  if (a >= 1e6 && step >= 1e5) return `${trim((x / 1e6).toFixed(decimalsOf(step / 1e6)))}M`;
  if (a >= 1e4 && step >= 1e3) return `${trim((x / 1e3).toFixed(decimalsOf(step / 1e3)))}k`;
  if (step < 1e-4) {
    if (a === 0) return '0';
    // Enough mantissa digits to tell neighbouring ticks apart (1.05e-4 vs 1.10e-4).
    const digits = Math.max(0, Math.floor(Math.log10(a)) - Math.floor(Math.log10(step)));
    return x.toExponential(Math.min(20, digits)).replace('e+', 'e');
  }
  return x.toFixed(decimalsOf(step));
}

function trim(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/**
 * Trailing rolling mean over a window of `w` points; nulls are skipped (null if none).
 * A running sum makes it O(n) for long runs; it is recomputed from scratch every `w`
 * points so rounding cannot drift.
 */
export function rollingMean(values: readonly (number | null)[], w: number): (number | null)[] {
  const width = Math.max(1, Math.floor(w));
  const out: (number | null)[] = [];
  let sum = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (i % width === 0) {
      sum = 0;
      count = 0;
      for (let j = Math.max(0, i - width + 1); j <= i; j++) {
        const v = values[j];
        if (v !== null && v !== undefined) {
          sum += v;
          count++;
        }
      }
    } else {
      const v = values[i];
      if (v !== null && v !== undefined) {
        sum += v;
        count++;
      }
      const old = i - width >= 0 ? values[i - width] : null;
      if (old !== null && old !== undefined) {
        sum -= old;
        count--;
      }
    }
    out.push(count > 0 ? sum / count : null);
  }
  return out;
}

/** A window that smooths about 1/20 of the points (1 = no smoothing for short runs). */
export function defaultWindow(n: number): number {
  return n < 20 ? 1 : Math.max(2, Math.round(n / 20));
}
