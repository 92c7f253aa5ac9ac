/**
 * Bounds checks run before a native kernel touches memory: the C++ side trusts its
 * arguments, so a wrong size must become a RangeError here, never a crash.
 */
export function need(arr: ArrayLike<number> | null, n: number, what: string, kernel: string): void {
  if (!arr) throw new RangeError(`${kernel}: ${what} is required`);
  if (!Number.isFinite(n) || arr.length < n) throw new RangeError(`${kernel}: ${what} has ${arr.length} elements, needs ${n}`);
}

export function dims(kernel: string, ...vals: [string, number][]): void {
  for (const [name, v] of vals) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${kernel}: ${name} must be a non-negative integer, got ${v}`);
  }
}

/** Elements a strided matrix of `rows` rows of `cols` columns spans. */
export function span(rows: number, cols: number, ld: number): number {
  return rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
}
