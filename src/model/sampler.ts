/**
 * Picks the next token from one row of logits: temperature, top-k, top-p (nucleus), and
 * the log-probability to report. All per-step work is O(vocab) over preallocated typed
 * arrays (plus a sort of the few nucleus candidates).
 *
 * Reported log-probability: log softmax(logits / temperature)[token], i.e. under the
 * tempered distribution BEFORE top-k/top-p truncation (what the trainer recomputes with
 * the same temperature; as vLLM's default `logprobs`). Temperature 0 is greedy (argmax,
 * lowest id on ties) and reports log softmax(logits)[token].
 *
 * Truncation follows Hugging Face's warpers: top-k keeps the k largest logits; top-p then
 * keeps, in descending probability of the (renormalised) remaining tokens, the smallest
 * prefix whose mass reaches top_p (at least one token).
 */
import type { Rng } from '../util/rng.ts';

export interface PickParams {
  temperature: number;
  topP: number;
  topK: number;
}

export class TokenPicker {
  private readonly p: Float64Array;
  private readonly cand: Int32Array;
  private readonly heap: Int32Array;

  constructor(readonly vocab: number) {
    this.p = new Float64Array(vocab);
    this.cand = new Int32Array(vocab);
    this.heap = new Int32Array(vocab);
  }

  /** Chooses a token from `logits` (length vocab); `rng` is used once per call unless greedy. */
  pick(logits: Float32Array, params: PickParams, rng: Rng): { token: number; logprob: number } {
    const V = this.vocab;
    const temp = params.temperature;
    if (!(temp > 0)) {
      let best = 0;
      let m = logits[0]!;
      for (let i = 1; i < V; i++) if (logits[i]! > m) { m = logits[i]!; best = i; }
      let s = 0;
      for (let i = 0; i < V; i++) s += Math.exp(logits[i]! - m);
      return { token: best, logprob: -Math.log(s) };
    }
    const inv = 1 / temp;
    let m = -Infinity;
    for (let i = 0; i < V; i++) { const z = logits[i]! * inv; if (z > m) m = z; }
    const p = this.p;
    let total = 0;
    for (let i = 0; i < V; i++) { const e = Math.exp(logits[i]! * inv - m); p[i] = e; total += e; }
    const logTotal = Math.log(total);
    const topK = params.topK > 0 && params.topK < V ? params.topK : 0;
    const topP = params.topP > 0 && params.topP < 1 ? params.topP : 1;
    let token: number;
    if (topK === 0 && topP === 1) {
      const u = rng.float() * total;
      let acc = 0;
      token = V - 1;
      for (let i = 0; i < V; i++) { acc += p[i]!; if (acc > u) { token = i; break; } }
    } else {
      let n: number;
      let mass: number;
      if (topK > 0) {
        n = this.topKCandidates(topK);
        mass = 0;
        for (let i = 0; i < n; i++) mass += p[this.cand[i]!]!;
      } else {
        n = this.nucleusSuperset(total, topP);
        mass = total;
      }
      this.sortCandidates(n);
      if (topP < 1) {
        const target = topP * mass;
        let acc = 0;
        let keep = n;
        for (let i = 0; i < n; i++) { acc += p[this.cand[i]!]!; if (acc >= target) { keep = i + 1; break; } }
        n = Math.max(1, keep);
        mass = 0;
        for (let i = 0; i < n; i++) mass += p[this.cand[i]!]!;
      }
      const u = rng.float() * mass;
      let acc = 0;
      token = this.cand[n - 1]!;
      for (let i = 0; i < n; i++) { const c = this.cand[i]!; acc += p[c]!; if (acc > u) { token = c; break; } }
    }
    return { token, logprob: logits[token]! * inv - m - logTotal };
  }

  /** The k most probable token ids into cand[0..k) (binary min-heap, O(V log k)). */
  private topKCandidates(k: number): number {
    const p = this.p;
    const h = this.heap;
    const less = (a: number, b: number) => p[a]! < p[b]! || (p[a]! === p[b]! && a > b);
    let size = 0;
    const siftDown = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let s = i;
        if (l < size && less(h[l]!, h[s]!)) s = l;
        if (r < size && less(h[r]!, h[s]!)) s = r;
        if (s === i) return;
        const t = h[i]!; h[i] = h[s]!; h[s] = t; i = s;
      }
    };
    for (let i = 0; i < this.vocab; i++) {
      if (size < k) {
        let j = size++;
        h[j] = i;
        while (j > 0) {
          const parent = (j - 1) >> 1;
          if (!less(h[j]!, h[parent]!)) break;
          const t = h[j]!; h[j] = h[parent]!; h[parent] = t; j = parent;
        }
      } else if (less(h[0]!, i)) {
        h[0] = i;
        siftDown(0);
      }
    }
    this.cand.set(h.subarray(0, size));
    return size;
  }

  /**
   * A superset of the nucleus: {p ≥ τ} for the largest τ (bisection) whose set still holds
   * mass ≥ topP·total, stopping once the set has ≤ 256 tokens. Ids go to cand.
   */
  private nucleusSuperset(total: number, topP: number): number {
    const p = this.p;
    const V = this.vocab;
    const target = topP * total;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < V; i++) if (p[i]! > hi) hi = p[i]!;
    hi *= 1.0000001;
    let count = V;
    for (let it = 0; it < 60 && count > 256; it++) {
      const mid = 0.5 * (lo + hi);
      let mass = 0;
      let c = 0;
      for (let i = 0; i < V; i++) if (p[i]! >= mid) { mass += p[i]!; c++; }
      if (mass >= target) { lo = mid; count = c; } else hi = mid;
    }
    let n = 0;
    for (let i = 0; i < V; i++) if (p[i]! >= lo) this.cand[n++] = i;
    return n;
  }

  /** Sorts cand[0..n) by probability, descending (ties: lower id first). */
  private sortCandidates(n: number): void {
    const p = this.p;
    const sub = this.cand.subarray(0, n);
    const arr = Array.from(sub);
    arr.sort((a, b) => p[b]! - p[a]! || a - b);
    sub.set(arr);
  }
}
