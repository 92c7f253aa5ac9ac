/**
 * The sgemm peer: onnxruntime-node's MatMul, installed on first use into bench/peers
 * (never a root dependency; ONNXRUNTIME_NODE_INSTALL=skip keeps its install script from
 * fetching a CUDA provider outside the registry). Returns null when it cannot be had.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { matmulModel } from './onnx-matmul.ts';

const peersDir = fileURLToPath(new URL('./peers/', import.meta.url));

export interface OrtPeer {
  name: string;
  /** Prepares C = A·B at this shape and thread count; returns a function that runs it once. */
  prepare(M: number, N: number, K: number, threads: number, A: Float32Array, B: Float32Array): Promise<() => Promise<void>>;
}

export async function loadOrtPeer(log: (s: string) => void): Promise<OrtPeer | null> {
  const pkgDir = `${peersDir}node_modules/onnxruntime-node/`;
  if (!existsSync(`${pkgDir}package.json`)) {
    log('installing the benchmark peer onnxruntime-node into bench/peers (first use) ...');
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const r = spawnSync(npm, ['install', '--prefix', peersDir, '--no-audit', '--no-fund', '--ignore-scripts'], {
      env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' }, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 600_000,
    });
    if (r.status !== 0) {
      log(`peer install failed (${(r.stderr ?? '').trim().split('\n').pop() ?? r.error?.message}); running without a peer`);
      return null;
    }
  }
  try {
    const require = createRequire(`${peersDir}package.json`);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const ort = require('onnxruntime-node') as any;
    const version = (JSON.parse(readFileSync(`${pkgDir}package.json`, 'utf8')) as { version: string }).version;
    return {
      name: `onnxruntime-node ${version} MatMul (CPU EP)`,
      async prepare(M, N, K, threads, A, B) {
        const session = await ort.InferenceSession.create(matmulModel(M, N, K), {
          intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
        });
        const feeds = { A: new ort.Tensor('float32', A, [M, K]), B: new ort.Tensor('float32', B, [K, N]) };
        return async () => { await session.run(feeds); };
      },
    };
  } catch (e) {
    log(`peer onnxruntime-node does not load (${(e as Error).message.split('\n')[0]}); running without a peer`);
    return null;
  }
}
