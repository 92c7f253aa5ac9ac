import { test } from 'node:test';
import { nativeKernels } from '../../src/engine/index.ts';
import { kernelSuite } from './suite.ts';
import type { NativeKernels } from '../../src/engine/native.ts';

const nat = nativeKernels() as NativeKernels | null;
if (nat) {
  for (const isa of ['avx512', 'avx2', 'portable']) {
    const got = nat.setIsa(isa);
    if (got !== isa) continue;
    kernelSuite(`native ${isa}`, nat);
  }
  test('restore the best ISA', () => { nat.setIsa('avx512'); });
} else {
  test('native addon not built: native kernel tests skipped', { skip: 'addon unavailable' }, () => {});
}

test('native extras: info, peak FLOP/s and stream bandwidth are positive', { skip: nat ? false : 'addon unavailable' }, () => {
  const info = nat!.info();
  if (!(info.cores >= 1 && info.threads >= 1)) throw new Error(`bad info ${JSON.stringify(info)}`);
  const p = nat!.peakGflops(1, 0.05);
  if (!(p.wall > 0 && p.cpu > 0)) throw new Error(`bad peak ${JSON.stringify(p)}`);
  if (!(nat!.streamGBps(1, 8) > 0)) throw new Error('bad stream bandwidth');
});
