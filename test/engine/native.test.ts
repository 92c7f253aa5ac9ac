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
