/**
 * Token log-probabilities and entropy of softmax(logits * invT), per row.
 * With z = logits * invT, p = softmax(z), E = sum p z:
 *   logprob = z[t] - lse, entropy = lse - E;
 *   d logprob / dz_j = [j = t] - p_j,  d entropy / dz_j = -p_j (z_j - E);
 *   d/dlogits = invT * d/dz.
 */
export function logprobForwardJs(logits: Float32Array, rows: number, vocab: number, targets: Int32Array, invTemperature: number,
  outLogprob: Float32Array, outEntropy: Float32Array | null, outLse: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * vocab;
    let m = -Infinity;
    for (let j = 0; j < vocab; j++) {
      const z = logits[o + j]! * invTemperature;
      if (z > m) m = z;
    }
    let s = 0;
    let sz = 0;
    for (let j = 0; j < vocab; j++) {
      const z = logits[o + j]! * invTemperature;
      const e = Math.exp(z - m);
      s += e;
      sz += e * z;
    }
    const lse = m + Math.log(s);
    outLse[r] = lse;
    const t = targets[r]!;
    outLogprob[r] = t >= 0 ? logits[o + t]! * invTemperature - lse : 0;
    if (outEntropy) outEntropy[r] = lse - sz / s;
  }
}

export function logprobBackwardJs(logits: Float32Array, rows: number, vocab: number, targets: Int32Array, invTemperature: number,
  lse: Float32Array, dLogprob: Float32Array, dEntropy: Float32Array | null, dLogits: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * vocab;
    const L = lse[r]!;
    const t = targets[r]!;
    const dl = t >= 0 ? dLogprob[r]! : 0;
    const de = dEntropy ? dEntropy[r]! : 0;
    let E = 0;
    if (de !== 0) for (let j = 0; j < vocab; j++) {
      const z = logits[o + j]! * invTemperature;
      E += Math.exp(z - L) * z;
    }
    for (let j = 0; j < vocab; j++) {
      const z = logits[o + j]! * invTemperature;
      const p = Math.exp(z - L);
      let g = -dl * p;
      if (j === t) g += dl;
      if (de !== 0) g -= de * p * (z - E);
      dLogits[o + j] = g * invTemperature;
    }
  }
}
