/**
 * The model side of the fused decode step (engine `decodeStep`, native/decode.inc): the
 * plan (dimensions and the weight offsets into the flat buffer) built once per decoder,
 * and per step the rows' cache table. Offsets rather than pointers: the step reads the
 * weights where they are at call time, so in-place optimizer updates between RL rollouts
 * are seen without rebuilding anything.
 */
import type { QwenModel } from './qwen.ts';
import type { DecodeRow } from './generate.ts';

/**
 * The plan for `model`, or null when the fused step cannot run it: unmerged LoRA adapters
 * (the fused step has no adapter path; such policies decode kernel by kernel) or a weight
 * that is not a view of the model's flat buffer.
 */
export function decodePlan(model: QwenModel): Float64Array | null {
  if (model.lora) return null;
  const w = model.weights;
  const d = w.dims;
  const data = w.data;
  const off = (v: Float32Array | null): number => {
    if (!v) return -1;
    if (v.buffer !== data.buffer) return NaN;
    return (v.byteOffset - data.byteOffset) / 4;
  };
  const v = w.views;
  const plan = [d.layers, d.hidden, d.H, d.Hkv, d.D, d.inter, d.vocab, model.cfg.rmsNormEps, model.cfg.qkNorm ? 1 : 0,
    off(v.embed), off(v.finalNorm), off(v.lmHead)];
  for (const p of v.layers) {
    plan.push(off(p.inNorm), off(p.qkvW), off(p.qkvB), off(p.qNorm), off(p.kNorm), off(p.oW), off(p.postNorm), off(p.gateW), off(p.upW), off(p.downW));
  }
  if (plan.some((x) => Number.isNaN(x))) return null;
  return Float64Array.from(plan);
}

/** Fills `rowInfo` (4 per row) and `caches` (cleared first) for a step over `rows`. */
export function fillDecodeRows(rows: readonly DecodeRow[], rowInfo: Int32Array, caches: Float32Array[]): void {
  caches.length = 0;
  let lastPrefix: DecodeRow['prefix'] | null = null;
  let prefixIdx = -1;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.prefix !== lastPrefix) {
      lastPrefix = row.prefix;
      prefixIdx = caches.length;
      caches.push(row.prefix.data);
    }
    const o = 4 * r;
    rowInfo[o] = prefixIdx;
    rowInfo[o + 1] = row.prefix.length;
    if (row.suffix) {
      rowInfo[o + 2] = caches.length;
      rowInfo[o + 3] = row.suffix.length;
      caches.push(row.suffix.data);
    } else {
      rowInfo[o + 2] = -1;
      rowInfo[o + 3] = 0;
    }
  }
}
