/**
 * `longrl init-model --preset <name> --out DIR [--seed S] [--dtype f32|bf16] [--corpus FILE]`:
 * writes a from-scratch model folder (config, random weights, tokenizer, generation config)
 * and prints the folder and the parameter count.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { PRESETS, getPreset } from '../../model/presets.ts';
import { initModelFolder } from '../../model/io/preset-model.ts';
import { countParameters } from '../../model/init.ts';
import type { StDtype } from '../../model/safetensors.ts';

export function parseDtypeOption(v: string, allowed: StDtype[]): StDtype {
  const d = v.toUpperCase() as StDtype;
  if (!allowed.includes(d)) throw new UserError(`--dtype must be one of ${allowed.map((x) => x.toLowerCase()).join(', ')}, got "${v}"`);
  return d;
}

export function register(program: Command): void {
  program
    .command('init-model')
    .description('write a from-scratch Qwen model folder (config, weights, tokenizer)')
    .requiredOption('--preset <name>', `model preset: ${Object.keys(PRESETS).join(', ')}`)
    .requiredOption('--out <dir>', 'output folder')
    .option('--seed <n>', 'random seed of the weights', '0')
    .option('--dtype <dtype>', 'weight dtype on disk: f32 or bf16', 'f32')
    .option('--corpus <file>', 'extra tokenizer training text (UTF-8; its words become tokens)')
    .action((opts: { preset: string; out: string; seed: string; dtype: string; corpus?: string }) => {
      getPreset(opts.preset);
      const seed = Number(opts.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new UserError(`--seed must be a non-negative integer, got "${opts.seed}"`);
      const dtype = parseDtypeOption(opts.dtype, ['F32', 'BF16']);
      let extraTexts: string[] | undefined;
      if (opts.corpus !== undefined) {
        try {
          extraTexts = readFileSync(opts.corpus, 'utf8').split('\n');
        } catch (err) {
          throw new UserError(`cannot read --corpus ${opts.corpus}: ${(err as Error).message}`);
        }
      }
      const m = initModelFolder(opts.out, opts.preset, { seed, dtype, ...(extraTexts ? { extraTexts } : {}) });
      const params = countParameters(m.weights);
      process.stdout.write(`${JSON.stringify({ folder: opts.out, preset: opts.preset, parameters: params, dtype: dtype.toLowerCase() })}\n`);
    });
}
