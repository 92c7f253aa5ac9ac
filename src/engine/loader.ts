/**
 * Picks the backend once per process. The native addon is loaded from the node-gyp
 * build folder (`build/Release/longrl_native.node`); when it is missing or fails to load
 * the TypeScript fallback runs and one line on stderr says why.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Kernels } from './kernels.ts';
import { createJsKernels } from './js/index.ts';
import { wrapNative, type NativeAddon } from './native.ts';

let cachedJs: Kernels | null = null;
let cachedNative: Kernels | null | undefined;
let nativeError = '';
let cached: Kernels | null = null;

/** The TypeScript fallback, explicitly (tests compare it with the native backend). */
export function jsKernels(): Kernels {
  cachedJs ??= createJsKernels();
  return cachedJs;
}

const addonCandidates = ['../../build/Release/longrl_native.node', '../../build/Debug/longrl_native.node'];

/** The native kernels, or null when the addon cannot be loaded (the reason is kept for the notice). */
export function nativeKernels(): Kernels | null {
  if (cachedNative !== undefined) return cachedNative;
  cachedNative = null;
  const require = createRequire(import.meta.url);
  const found = addonCandidates.map((rel) => fileURLToPath(new URL(rel, import.meta.url))).find((p) => existsSync(p));
  if (!found) {
    nativeError = 'build/Release/longrl_native.node not found; run `npm run build:native`';
    return null;
  }
  try {
    const addon = require(found) as NativeAddon;
    const k = wrapNative(addon);
    const envThreads = Number(process.env.LONGRL_THREADS);
    if (Number.isInteger(envThreads) && envThreads > 0) k.setThreads(envThreads);
    cachedNative = k;
  } catch (e) {
    nativeError = `loading ${found} failed: ${(e as Error).message.split('\n')[0]}`;
  }
  return cachedNative;
}

/** The kernels longrl runs on (cached): native when available, else the fallback. */
export function getKernels(): Kernels {
  if (cached) return cached;
  const forced = process.env.LONGRL_BACKEND;
  if (forced === 'js') {
    cached = jsKernels();
    return cached;
  }
  const nat = nativeKernels();
  if (nat) {
    cached = nat;
    return cached;
  }
  if (forced === 'native') throw new Error(`longrl: LONGRL_BACKEND=native but the native addon is unavailable (${nativeError})`);
  if (process.env.LONGRL_QUIET_BACKEND !== '1') {
    process.stderr.write(`longrl: native addon unavailable (${nativeError}); running on the slow TypeScript path\n`);
  }
  cached = jsKernels();
  return cached;
}

export interface BackendInfo {
  backend: 'native' | 'js';
  isa: string;
  threads: number;
  cores: number;
  /** CPU features the addon detected (empty on the fallback). */
  features: Record<string, boolean>;
  /** Why the native addon is not used, when it is not. */
  fallbackReason: string | null;
}

/** What `longrl engine` prints. */
export function backendInfo(): BackendInfo {
  const k = getKernels();
  const nat = k.backend === 'native' ? (k as Kernels & { info(): { cores: number; features: Record<string, boolean> } }).info() : null;
  return {
    backend: k.backend,
    isa: k.isa,
    threads: k.threads,
    cores: nat?.cores ?? 1,
    features: nat?.features ?? {},
    fallbackReason: k.backend === 'js' ? (process.env.LONGRL_BACKEND === 'js' ? 'LONGRL_BACKEND=js' : nativeError) : null,
  };
}
