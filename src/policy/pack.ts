/**
 * Sequence packing for training passes: consecutive short datums run as one sequence of
 * rows with block-diagonal causal attention (each keeps its own positions; the model's
 * `segments` option), so every GEMM of the pass is `rows` wide instead of one short
 * sequence wide. On a small model this is most of the cost: a batch of 16 sequences of
 * 128 tokens is 16 passes of 128-row GEMMs (thread start-up and barriers dominate)
 * against one of 2,048 rows. The log-probabilities and gradients are those of the
 * datums one at a time, up to float summation order (test/model/pack.test.ts).
 *
 * The same idea as "packing without cross-contamination" (varlen flash attention with
 * `cu_seqlens` in verl and TRL's `padding_free`), over the CPU engine's own attention.
 */
import type { Datum } from './types.ts';

/** Consecutive datums `first .. first + count - 1` as one pass. */
export interface DatumPack {
  first: number;
  count: number;
  inputTokens_T: Int32Array;
  targetTokens_T: Int32Array;
  mask_T: Float32Array;
  /** Each datum's length, in order; null for a lone datum (run as it is). */
  segments: number[] | null;
}

/**
 * Greedy packs of consecutive datums whose lengths sum to at most `maxRows` (a datum
 * longer than that runs alone). `maxRows` ≤ 0 disables packing: one datum per pass.
 * Order is kept, so results are deterministic and line up with `datums`.
 */
export function packDatums(datums: readonly Datum[], maxRows: number): DatumPack[] {
  const packs: DatumPack[] = [];
  let i = 0;
  while (i < datums.length) {
    let rows = datums[i]!.inputTokens_T.length;
    let j = i + 1;
    if (maxRows > 0) {
      while (j < datums.length && rows + datums[j]!.inputTokens_T.length <= maxRows) rows += datums[j++]!.inputTokens_T.length;
    }
    packs.push(j - i === 1 ? lone(datums[i]!, i) : concat(datums, i, j, rows));
    i = j;
  }
  return packs;
}

function lone(d: Datum, i: number): DatumPack {
  return { first: i, count: 1, inputTokens_T: d.inputTokens_T, targetTokens_T: d.targetTokens_T, mask_T: d.mask_T, segments: null };
}

function concat(datums: readonly Datum[], i: number, j: number, rows: number): DatumPack {
  const ids = new Int32Array(rows);
  const targets = new Int32Array(rows);
  const mask = new Float32Array(rows);
  const segments: number[] = [];
  let r = 0;
  for (let k = i; k < j; k++) {
    const d = datums[k]!;
    ids.set(d.inputTokens_T, r);
    targets.set(d.targetTokens_T, r);
    mask.set(d.mask_T, r);
    segments.push(d.inputTokens_T.length);
    r += d.inputTokens_T.length;
  }
  return { first: i, count: j - i, inputTokens_T: ids, targetTokens_T: targets, mask_T: mask, segments };
}

/** Per-datum copies of a pack's per-row values (log-probabilities, entropy). */
export function splitRows(pack: DatumPack, rows_T: Float32Array): Float32Array[] {
  if (!pack.segments) return [rows_T];
  const out: Float32Array[] = [];
  let r = 0;
  for (const len of pack.segments) {
    out.push(rows_T.slice(r, r + len));
    r += len;
  }
  return out;
}

/** The pack's per-row values from per-datum ones (the loss's gradients), the inverse of splitRows. */
export function joinRows(pack: DatumPack, perDatum: readonly Float32Array[]): Float32Array {
  if (!pack.segments) return perDatum[pack.first]!;
  const out = new Float32Array(pack.inputTokens_T.length);
  let r = 0;
  for (let k = 0; k < pack.count; k++) {
    out.set(perDatum[pack.first + k]!, r);
    r += pack.segments[k]!;
  }
  return out;
}
