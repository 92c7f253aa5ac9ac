import assert from 'node:assert/strict';

/** |a − e| ≤ tol (absolute), with a message naming the case. */
export function close(actual: number, expected: number, tol = 1e-6, what = ''): void {
  assert.ok(Number.isFinite(actual) || actual === expected, `${what}: got ${actual}, expected ${expected}`);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: got ${actual}, expected ${expected} (tol ${tol})`);
}

export function closeArray(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-6, what = ''): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) close(actual[i] as number, expected[i] as number, tol, `${what}[${i}]`);
}
