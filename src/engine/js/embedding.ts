/** Embedding lookup and its gradient (a scatter-add in row order, so repeated ids are deterministic). */
export function embeddingForwardJs(table: Float32Array, ids: Int32Array, out: Float32Array, dim: number): void {
  for (let r = 0; r < ids.length; r++) {
    const id = ids[r]!;
    out.set(table.subarray(id * dim, id * dim + dim), r * dim);
  }
}

export function embeddingBackwardJs(dOut: Float32Array, ids: Int32Array, dTable: Float32Array, dim: number): void {
  for (let r = 0; r < ids.length; r++) {
    const o = ids[r]! * dim;
    const s = r * dim;
    for (let i = 0; i < dim; i++) dTable[o + i]! += dOut[s + i]!;
  }
}
