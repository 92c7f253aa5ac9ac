/**
 * Temp folders for tests that are removed when the test file's process exits (node --test
 * runs each file in its own process), so a run leaves nothing behind in the temp dir even
 * when an assertion fails halfway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A new empty folder under the OS temp dir, named `prefix` + random suffix. */
export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
