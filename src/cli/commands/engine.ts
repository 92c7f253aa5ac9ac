/**
 * `longrl engine [--threads N] [--peak]`: prints the compute backend as JSON —
 * `{backend, isa, threads, cores, features, fallbackReason}` — and with `--peak` the FP32
 * FMA-loop peak in GFLOP/s on the chosen thread count (native only).
 */
import type { Command } from 'commander';
import { backendInfo, getKernels } from '../../engine/index.ts';
import type { NativeKernels } from '../../engine/native.ts';
import { UserError } from '../../util/errors.ts';

export function register(program: Command): void {
  program
    .command('engine')
    .description('show the compute backend, CPU features and threads')
    .option('--threads <n>', 'worker threads to use (default: LONGRL_THREADS or all cores)')
    .option('--peak', 'measure the FP32 peak with an FMA loop (about a second)')
    .action((opts: { threads?: string; peak?: boolean }) => {
      const k = getKernels();
      if (opts.threads !== undefined) {
        const n = Number(opts.threads);
        if (!Number.isInteger(n) || n < 1) throw new UserError(`--threads must be a positive integer, got "${opts.threads}"`);
        k.setThreads(n);
      }
      const info: Record<string, unknown> = { ...backendInfo() };
      if (opts.peak) {
        if (k.backend !== 'native') throw new UserError('--peak needs the native addon (npm run build:native)');
        const p = (k as NativeKernels).peakGflops(k.threads, 1.0);
        info.peak_gflops = Math.round(p.wall * 10) / 10;
        info.peak_gflops_cpu = Math.round(p.cpu * 10) / 10;
      }
      process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
    });
}
