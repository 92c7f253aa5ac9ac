/**
 * `longrl report RUN_DIR`: writes RUN_DIR/report.html (self-contained, charts inline)
 * and RUN_DIR/report.png (the reward/accuracy chart) from the run folder's
 * config.yaml, metrics.jsonl and results.json. Works on partial run folders.
 */
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { writeReport, type WriteReportOptions } from '../../observe/report.ts';
import { watchReport } from '../../observe/watch.ts';

interface ReportFlags {
  out?: string;
  png?: string | boolean;
  smooth?: string;
  watch?: string;
  compare?: string[];
}

export function register(program: Command): void {
  program
    .command('report')
    .description('write the HTML report and charts of a run folder')
    .argument('<run-dir>', 'run folder written by longrl train or longrl demo')
    .option('--out <file>', 'HTML file to write (default RUN_DIR/report.html)')
    .option('--png <file>', 'PNG of the main chart (default RUN_DIR/report.png)')
    .option('--no-png', 'do not write the PNG')
    .option('--smooth <n>', 'rolling-mean window in steps (default: about 1/20 of the steps; 1 = raw only)')
    .option('--compare <run-dirs...>', 'overlay other runs: reward and accuracy curves, final accuracy per length')
    .option('--watch <seconds>', 'keep running: rewrite the report whenever the run folder changes (checked every SECONDS) until Ctrl-C')
    .action(async (runDir: string, flags: ReportFlags) => {
      const opts: WriteReportOptions = {};
      if (flags.out !== undefined) opts.out = flags.out;
      if (flags.compare !== undefined) opts.compare = flags.compare;
      if (flags.png === false) opts.png = false;
      else if (typeof flags.png === 'string') opts.png = flags.png;
      if (flags.smooth !== undefined) {
        const n = Number(flags.smooth);
        if (!Number.isInteger(n) || n < 1) throw new UserError(`--smooth must be a positive integer, got "${flags.smooth}"`);
        opts.smooth = n;
      }
      if (flags.watch !== undefined) {
        const s = Number(flags.watch);
        if (!(s > 0)) throw new UserError(`--watch must be a positive number of seconds, got "${flags.watch}"`);
        const stop = new AbortController();
        const onSigint = () => stop.abort();
        process.once('SIGINT', onSigint);
        await watchReport(runDir, {
          ...opts,
          intervalS: s,
          signal: stop.signal,
          onWrite: (res) => process.stderr.write(`${new Date().toISOString()} wrote ${res.html}\n`),
        });
        process.off('SIGINT', onSigint);
        return;
      }
      const res = await writeReport(runDir, opts);
      for (const note of res.notes) process.stderr.write(`note: ${note}\n`);
      if (res.headline) process.stdout.write(`${res.headline}\n`);
      process.stdout.write(`Report: ${res.html}\n`);
      if (res.png) process.stdout.write(`Chart: ${res.png}\n`);
    });
}
