/**
 * Keys and values of one sequence (or one shared prompt prefix) for every layer, after
 * RoPE (and q/k norm), rows [capacity, Hkv·D]. A group of samples of one prompt shares
 * the prompt's cache (filled once by the prefill) and each sample keeps its own small cache
 * for the tokens it generates.
 */
export class KvCache {
  readonly k: Float32Array[];
  readonly v: Float32Array[];
  /** Rows filled. */
  length = 0;

  constructor(readonly layers: number, readonly kvDim: number, readonly capacity: number) {
    this.k = Array.from({ length: layers }, () => new Float32Array(capacity * kvDim));
    this.v = Array.from({ length: layers }, () => new Float32Array(capacity * kvDim));
  }

  /** Copies rows [0, T) of k and v (layouts [T, kvDim]) of layer l to rows [at, at + T). */
  write(l: number, at: number, k: Float32Array, v: Float32Array, T: number): void {
    if (at + T > this.capacity) throw new RangeError(`KV cache overflow: ${at + T} rows > capacity ${this.capacity}`);
    const n = T * this.kvDim;
    this.k[l]!.set(k.subarray(0, n), at * this.kvDim);
    this.v[l]!.set(v.subarray(0, n), at * this.kvDim);
  }

  get bytes(): number {
    return this.layers * this.capacity * this.kvDim * 8;
  }
}
