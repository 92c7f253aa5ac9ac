/**
 * The compute engine: `getKernels()` returns the native addon's kernels when the addon
 * loads, else the TypeScript fallback (saying so once on stderr). `LONGRL_BACKEND=js`
 * forces the fallback; `LONGRL_QUIET_BACKEND=1` silences the notice;
 * `LONGRL_THREADS=n` sets the native worker count (default: all cores);
 * `LONGRL_ISA=avx2|portable` caps the instruction set the addon dispatches to.
 *
 * Native extras (`NativeKernels`): `info()`, `setIsa()`, `peakGflops()`, `streamGBps()`.
 * Kernel calls are serialised per process (one pool, shared call buffers).
 */
export type { Kernels, AttentionParams, AttentionBackwardParams, DecodeStepParams } from './kernels.ts';
export { jsKernels, getKernels, nativeKernels, backendInfo, type BackendInfo } from './loader.ts';
export type { NativeKernels } from './native.ts';
