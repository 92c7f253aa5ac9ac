/**
 * Size class of a pooled buffer of n elements (a tape buffer, a workspace of n rows, a KV
 * cache): 8 classes per doubling, so a request gets at most 12.5% more than it asked for.
 */
export function poolClass(n: number): number {
  if (n <= 64) return 64;
  const step = 2 ** (Math.floor(Math.log2(n)) - 3);
  return Math.ceil(n / step) * step;
}
