/**
 * Runs the longrl CLI in this process (no tsx start-up per call; servers started by the test
 * stay reachable), capturing what the command writes to stdout and stderr.
 *
 * Only string chunks are captured, and only while the command runs: the node:test runner
 * reports from a test file's process through stdout as binary chunks meanwhile, and those
 * must pass through (swallowing them loses tests from the runner's count).
 */
import { main } from '../../src/cli/main.ts';

export interface CliRun {
  /** The exit code `main` returns. */
  code: number;
  stdout: string;
  stderr: string;
}

type Write = typeof process.stdout.write;

function capture(into: string[], pass: Write): Write {
  return ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    typeof chunk === 'string' ? (into.push(chunk), true) : (pass as (...a: unknown[]) => boolean)(chunk, ...rest)) as Write;
}

export async function runCliInProcess(args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = capture(out, ow);
  process.stderr.write = capture(err, ew);
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
}
