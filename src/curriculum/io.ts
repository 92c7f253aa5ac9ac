/** Save/load helpers for the curriculum state (the only I/O of this folder). */
import { readJsonFile, writeJsonAtomic } from '../util/fsx.ts';
import { UserError } from '../util/errors.ts';
import type { CurriculumState } from './curriculum.ts';

export function saveCurriculumState(path: string, state: CurriculumState): void {
  writeJsonAtomic(path, state);
}

export function loadCurriculumState(path: string): CurriculumState {
  const s = readJsonFile<CurriculumState>(path);
  if (typeof s !== 'object' || s === null || s.version !== 1) throw new UserError(`${path}: not a curriculum state (version 1)`);
  return s;
}
