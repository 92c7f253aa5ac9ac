/**
 * Keys and values of one sequence (or one shared prompt prefix) for every layer, after
 * RoPE (and q/k norm), rows [capacity, Hkv·D]. A group of samples of one prompt shares
 * the prompt's cache (filled once by the prefill) and each sample keeps its own small cache
 * for the tokens it generates.
 *
 * All layers live in one buffer, `data` = [2][layers][capacity][kvDim] (K of every layer,
 * then V of every layer), with `k[l]` / `v[l]` as views: the fused decode step
 * (engine `decodeStep`) is handed one array per cache instead of 2·layers.
 */
export class KvCache {
  readonly data: Float32Array;
  readonly k: Float32Array[];
  readonly v: Float32Array[];
  /** Rows filled. */
  length = 0;

  constructor(readonly layers: number, readonly kvDim: number, readonly capacity: number) {
    const per = capacity * kvDim;
    this.data = new Float32Array(2 * layers * per);
    this.k = Array.from({ length: layers }, (_, l) => this.data.subarray(l * per, (l + 1) * per));
    this.v = Array.from({ length: layers }, (_, l) => this.data.subarray((layers + l) * per, (layers + l + 1) * per));
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
