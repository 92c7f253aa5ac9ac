/**
 * Shared shapes of the RL library. Arrays are per sequence ("ragged" rows): row i of a
 * `_B_T` argument is sequence i's per-token array, of that sequence's own length T_i.
 * Inputs accept any numeric array (Float32Array from the engine, Float64Array, number[]);
 * everything is computed in float64 (rl-algorithms.md §9 trap 11).
 *
 * The mask is a per-token weight: 1 on trained response tokens, 0 on prompt and padding.
 * A position whose mask is 0 is never read, so NaN or ±inf stored there cannot leak into
 * any loss, gradient or metric (rl-algorithms.md §9 trap 16).
 */
export type NumArray = ArrayLike<number>;

/** Rows of per-token values, one row per sequence. */
export type Rows = readonly NumArray[];

/** Allocates float64 rows shaped like `like` (zeros). */
export function zerosLike(like: Rows): Float64Array[] {
  return like.map((row) => new Float64Array(row.length));
}

/** Reads `rows[i][t]` with the bounds checks of `noUncheckedIndexedAccess` folded in. */
export function at(rows: Rows, i: number, t: number): number {
  return (rows[i] as NumArray)[t] as number;
}
