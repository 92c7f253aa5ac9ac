/** Shared setup of the serve tests: a tiny preset model folder in a temp dir. */

import { join } from 'node:path';
import { initModelFolder } from '../../src/model/io/preset-model.ts';
import { tempDir } from '../temp-dir.ts';

export function tinyModel(prefix = 'longrl-serve-'): { root: string; modelDir: string } {
  const root = tempDir(prefix);
  const modelDir = join(root, 'tiny');
  initModelFolder(modelDir, 'tiny', { seed: 3 });
  return { root, modelDir };
}
