/**
 * Live report: rewrites a run folder's report whenever its metrics.jsonl, results.json
 * or config.yaml change, checking every `intervalS` seconds, until the signal aborts.
 * The page reloads itself at the same interval, so an open browser tab follows the run.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeReport, type WriteReportOptions, type WrittenReport } from './report.ts';

export interface WatchOptions extends WriteReportOptions {
  /** Seconds between checks (default 30). */
  intervalS?: number;
  /** Stops the loop (Ctrl-C in the CLI). */
  signal?: AbortSignal;
  /** Called after each report written. */
  onWrite?: (res: WrittenReport) => void;
}

/** Size and modification time of the inputs: the report is rewritten when this changes. */
export function inputStamp(runDir: string): string {
  return ['metrics.jsonl', 'results.json', 'config.yaml']
    .map((f) => {
      const p = join(runDir, f);
      if (!existsSync(p)) return `${f}:-`;
      const st = statSync(p);
      return `${f}:${st.size}:${st.mtimeMs}`;
    })
    .join('|');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Writes the report now and again after every change of its inputs; returns the count written. */
export async function watchReport(runDir: string, opts: WatchOptions = {}): Promise<number> {
  let last = '';
  let written = 0;
  const interval = Math.max(0.05, opts.intervalS ?? 30) * 1000;
  while (!opts.signal?.aborted) {
    const stamp = inputStamp(runDir);
    if (stamp !== last) {
      last = stamp;
      const res = await writeReport(runDir, { refreshS: opts.intervalS ?? 30, ...opts });
      written++;
      opts.onWrite?.(res);
    }
    await sleep(interval, opts.signal);
  }
  return written;
}
