import { poolClass } from './pool-class.ts';

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

  /**
   * `buffer` (at least 2·layers·capacity·kvDim floats, contents ignored) backs the cache
   * instead of a fresh allocation: KvCachePool's recycled buffers.
   */
  constructor(readonly layers: number, readonly kvDim: number, readonly capacity: number, buffer?: Float32Array) {
    const per = capacity * kvDim;
    const n = 2 * layers * per;
    if (buffer && buffer.length < n) throw new RangeError(`KV cache buffer of ${buffer.length} floats < ${n} needed for capacity ${capacity}`);
    this.data = buffer ? buffer.subarray(0, n) : new Float32Array(n);
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

/**
 * Recycled KV-cache buffers. Generation allocates a prompt cache per group and a suffix
 * cache per sample on every call, and a fresh buffer's pages fault on their first write: on
 * this kind of VM ~10 us a page even after MADV_POPULATE_WRITE has mapped it (the host backs
 * the page at the first store; README, "Benchmarks"). A group of 8 crossed 8 fresh
 * pages every decode step, ~8% of the step and all of it on one thread. A recycled buffer's
 * pages are already backed, so steady-state generation (RL's many sampling calls) faults
 * none. Buffers come in size classes (poolClass) and the pool holds at most `maxBytes`.
 * A released cache must not be used again: its buffer goes to the next acquire.
 */
export class KvCachePool {
  /** Free buffers by size class (the newest last: it is handed out first, its pages warmest). */
  private readonly free = new Map<number, Float32Array[]>();
  /** The same buffers by their memory, oldest release first: what a full pool evicts. */
  private readonly byAge = new Map<ArrayBufferLike, Float32Array>();
  /** Buffers this pool allocated: only those come back (a cache built over someone else's memory is never recycled). */
  private readonly owned = new WeakSet<ArrayBufferLike>();
  private held = 0;

  constructor(readonly maxBytes = 512 * 2 ** 20) {}

  acquire(layers: number, kvDim: number, capacity: number): KvCache {
    const c = poolClass(2 * layers * capacity * kvDim);
    let buffer = this.free.get(c)?.pop();
    if (buffer) {
      this.byAge.delete(buffer.buffer);
      this.held -= buffer.byteLength;
    } else {
      buffer = new Float32Array(c);
      this.owned.add(buffer.buffer);
    }
    return new KvCache(layers, kvDim, capacity, buffer);
  }

  /**
   * Returns the cache's buffer for reuse. A full pool drops its oldest buffers to make room
   * (a curriculum's earlier, shorter stages must not keep the later ones from recycling);
   * a buffer larger than the whole pool, or one this pool did not make, is dropped.
   */
  release(cache: KvCache): void {
    const memory = cache.data.buffer;
    if (!this.owned.has(memory)) return;
    if (this.byAge.has(memory)) throw new Error('KV cache released twice');
    const full = new Float32Array(memory);
    if (full.byteLength > this.maxBytes) return;
    for (const [old, buf] of this.byAge) {
      if (this.held + full.byteLength <= this.maxBytes) break;
      const list = this.free.get(buf.length)!;
      list.splice(list.indexOf(buf), 1);
      this.byAge.delete(old);
      this.held -= buf.byteLength;
    }
    const list = this.free.get(full.length) ?? [];
    list.push(full);
    this.free.set(full.length, list);
    this.byAge.set(memory, full);
    this.held += full.byteLength;
  }

  /** Bytes held for reuse now (at most maxBytes). */
  get bytesHeld(): number {
    return this.held;
  }

  clear(): void {
    this.free.clear();
    this.byAge.clear();
    this.held = 0;
  }
}
