/**
 * `longrl demo [--size tiny|full] [--out DIR] [--seed S] [--resume DIR] [--judge-url U
 * --judge-model M] [--set key=value ...]` = `longrl train recipes/demo.yaml` (or `recipes/demo-tiny.yaml` for
 * `--size tiny`, the smoke-test scale): a small model, the shipped base models/demo-base/
 * (made by two `longrl pretrain` phases, scripts/make-demo-base.sh: plain next-token
 * prediction on synthetic documents), synthetic curriculum data, warm-up SFT on short documents, RL
 * stages of growing length up to 4x the SFT length with retrospective sampling and the
 * hybrid reward (the judge only with --judge-url; rule-only otherwise, said plainly), and
 * the table base / sft / sft-continued / rl-stage1 .. rl-final at each length. The tiny
 * size makes its own tiny model from scratch. Last line: `Run folder: PATH`.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { loadRecipe } from '../../train/config.ts';
import { RecipeRun, defaultRunDir, recipeOfRun } from '../../train/recipe.ts';
import { seedOverride } from './train.ts';

interface DemoOpts {
  size: string;
  out?: string;
  seed?: string;
  resume?: string;
  judgeUrl?: string;
  judgeModel?: string;
  set: string[];
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** Path of an embedded recipe (recipes/ at the package root). */
export function embeddedRecipe(size: 'tiny' | 'full'): string {
  return fileURLToPath(new URL(`../../../recipes/${size === 'tiny' ? 'demo-tiny' : 'demo'}.yaml`, import.meta.url));
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the embedded recipe end to end on a tiny model (SFT, phased RL, eval)')
    .option('--size <size>', 'tiny (smoke-test scale, about a minute) or full', 'full')
    .option('--out <dir>', 'run folder (default runs/demo-<time>)')
    .option('--seed <n>', 'random seed')
    .option('--resume <dir>', 'continue a run folder')
    .option('--judge-url <url>', 'OpenAI-compatible judge server for the hybrid reward (rule-only without it)')
    .option('--judge-model <name>', 'judge model name')
    .option('--set <key=value>', 'override a field of the embedded recipe, e.g. --set policy.threads=1 (repeatable)', collect, [])
    .action(async (o: DemoOpts) => {
      if (o.size !== 'tiny' && o.size !== 'full') throw new UserError(`--size must be tiny or full, got "${o.size}"`);
      if ((o.judgeUrl === undefined) !== (o.judgeModel === undefined)) throw new UserError('--judge-url and --judge-model go together');
      let run: RecipeRun;
      if (o.resume !== undefined) {
        if (o.set.length > 0) throw new UserError('--resume continues a run with its own config.yaml: --set is not allowed with it');
        run = new RecipeRun(recipeOfRun(o.resume), { runDir: o.resume, resume: true });
      } else {
        const sets = [...o.set, ...seedOverride(o.seed)];
        if (o.judgeUrl !== undefined) sets.push(`reward.judge={url: "${o.judgeUrl}", model: "${o.judgeModel}"}`);
        const file = embeddedRecipe(o.size);
        const recipe = loadRecipe(file, sets);
        // The embedded recipe's paths (the shipped base model) are relative to recipes/.
        run = new RecipeRun(recipe, { runDir: o.out ?? defaultRunDir(o.size === 'tiny' ? 'demo-tiny' : 'demo'), baseDir: dirname(file) });
      }
      const res = await run.run();
      process.stdout.write(`Run folder: ${res.runDir}\n`);
    });
}
