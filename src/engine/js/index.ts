/**
 * The plain TypeScript backend: every kernel with the documented semantics, single
 * threaded, float64 accumulation. Slow, but it keeps every feature working where the
 * native addon cannot be built, and it is the reference the native kernels are tested against.
 */
import type { Kernels } from '../kernels.ts';
import { sgemmJs } from './gemm.ts';
import { attentionBackwardJs, attentionForwardJs } from './attention.ts';
import { rmsnormBackwardJs, rmsnormForwardJs } from './norm.ts';
import { ropeBackwardJs, ropeForwardJs } from './rope.ts';
import { swigluBackwardJs, swigluForwardJs } from './swiglu.ts';
import { embeddingBackwardJs, embeddingForwardJs } from './embedding.ts';
import { logprobBackwardJs, logprobForwardJs } from './logprob.ts';
import { adamwJs, axpyJs, sumSquaresJs } from './optim.ts';
import { bf16ToF32Js, f16ToF32Js, f32ToBf16Js, f32ToF16Js } from './convert.ts';

export function createJsKernels(): Kernels {
  return {
    backend: 'js',
    threads: 1,
    isa: 'js',
    setThreads(_n: number): void {},
    sgemm: sgemmJs,
    attentionForward: attentionForwardJs,
    attentionBackward: attentionBackwardJs,
    rmsnormForward: rmsnormForwardJs,
    rmsnormBackward: rmsnormBackwardJs,
    ropeForward: ropeForwardJs,
    ropeBackward: ropeBackwardJs,
    swigluForward: swigluForwardJs,
    swigluBackward: swigluBackwardJs,
    embeddingForward: embeddingForwardJs,
    embeddingBackward: embeddingBackwardJs,
    logprobForward: logprobForwardJs,
    logprobBackward: logprobBackwardJs,
    adamw: adamwJs,
    sumSquares: sumSquaresJs,
    axpy: axpyJs,
    bf16ToF32: bf16ToF32Js,
    f16ToF32: f16ToF32Js,
    f32ToBf16: f32ToBf16Js,
    f32ToF16: f32ToF16Js,
  };
}
