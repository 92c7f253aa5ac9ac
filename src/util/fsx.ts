/**
 * File helpers that never leave a half-written file behind: write to a temporary
 * name in the same folder, fsync, then rename over the target (atomic on POSIX).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, rmSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { UserError } from './errors.ts';

/** Writes `data` to `path` atomically (temporary file + rename). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeFileAtomicStream(path, (put) => put(typeof data === 'string' ? Buffer.from(data, 'utf8') : data));
}

/**
 * Writes `path` atomically from pieces: `fill` calls `put` for each chunk in order, so a
 * file larger than one Buffer can hold (safetensors and GGUF weights past 2 GiB) is never
 * in memory whole. If `fill` throws, the temporary file is removed and the target untouched.
 */
export function writeFileAtomicStream(path: string, fill: (put: (chunk: Uint8Array) => void) => void): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  const fd = openSync(tmp, 'w');
  try {
    fill((bytes) => {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    });
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

/** Writes pretty JSON atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Reads and parses a JSON file; errors name the file. */
export function readJsonFile<T = unknown>(path: string): T {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new UserError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
}
