/**
 * Checkpoints of a run folder, written atomically: everything goes into
 * `checkpoints/.step-N.tmp/`, is fsynced, and the folder is renamed to
 * `checkpoints/step-N/`; then `checkpoints/latest.json` is replaced atomically. A run
 * killed at any moment (kill -9) leaves either the previous checkpoint or the new one,
 * never a torn one; leftover temporary folders are removed on the next start.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, fsyncSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../util/fsx.ts';

export interface LatestPointer {
  step: number;
  dir: string;
}

function stepName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

export class CheckpointStore {
  readonly root: string;

  constructor(runDir: string, readonly keepLast = 2) {
    this.root = join(runDir, 'checkpoints');
    mkdirSync(this.root, { recursive: true });
    for (const name of readdirSync(this.root)) {
      if (name.startsWith('.') && name.endsWith('.tmp')) rmSync(join(this.root, name), { recursive: true, force: true });
    }
  }

  /** The newest complete checkpoint, or null. */
  latest(): LatestPointer | null {
    const p = join(this.root, 'latest.json');
    if (!existsSync(p)) return null;
    const ptr = readJsonFile<LatestPointer>(p);
    return existsSync(join(this.root, ptr.dir)) ? ptr : null;
  }

  /** Absolute path of a checkpoint folder named by a pointer. */
  path(ptr: LatestPointer): string {
    return join(this.root, ptr.dir);
  }

  /**
   * Writes a checkpoint: `fill(tmpDir)` writes its files into a fresh temporary folder;
   * then the folder is published atomically and older checkpoints beyond `keepLast`
   * are removed.
   */
  async save(step: number, fill: (dir: string) => Promise<void> | void): Promise<string> {
    const name = stepName(step);
    const tmp = join(this.root, `.${name}.tmp`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    await fill(tmp);
    syncDir(tmp);
    const finalDir = join(this.root, name);
    rmSync(finalDir, { recursive: true, force: true });
    renameSync(tmp, finalDir);
    syncDir(this.root);
    writeJsonAtomic(join(this.root, 'latest.json'), { step, dir: name } satisfies LatestPointer);
    this.prune(name);
    return finalDir;
  }

  private prune(keep: string): void {
    const all = readdirSync(this.root).filter((n) => /^step-\d{8}$/.test(n)).sort();
    const excess = all.length - this.keepLast;
    for (const name of all.slice(0, Math.max(0, excess))) {
      if (name !== keep) rmSync(join(this.root, name), { recursive: true, force: true });
    }
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
