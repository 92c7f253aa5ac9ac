/**
 * `longrl pretrain RECIPE.yaml [--out DIR] [--seed S] [--set k=v ...] [--resume DIR]`:
 * the recipe's pretrain phase alone — plain next-token prediction on its synthetic
 * documents (no answer format, no traces) — from the recipe's model; the result is an
 * HF model folder at `DIR/models/final`, usable as a base checkpoint
 * (`--set model.path=DIR/models/final` in a later `longrl train`). Same run folder,
 * metrics and resume as `longrl train`. Last line: `Run folder: PATH`.
 *
 * The demo's base checkpoint, reproducibly: `longrl pretrain recipes/demo.yaml --out base`.
 */
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { loadRecipe } from '../../train/config.ts';
import { RecipeRun, defaultRunDir, recipeOfRun } from '../../train/recipe.ts';
import { seedOverride } from './train.ts';

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function register(program: Command): void {
  program
    .command('pretrain')
    .description('next-token pretraining on synthetic documents')
    .argument('[recipe]', 'recipe YAML with a pretrain section and data.synth.pretrain')
    .option('--out <dir>', 'run folder (default runs/pretrain-<time>)')
    .option('--seed <n>', 'run seed (overrides the recipe)')
    .option('--set <key=value>', 'override a recipe field (repeatable)', collect, [])
    .option('--resume <dir>', 'continue a run folder')
    .action(async (recipeFile: string | undefined, o: { out?: string; seed?: string; set: string[]; resume?: string }) => {
      let run: RecipeRun;
      if (o.resume !== undefined) {
        run = new RecipeRun(recipeOfRun(o.resume), { runDir: o.resume, resume: true, stopAfter: 'pretrain' });
      } else {
        if (recipeFile === undefined) throw new UserError('pretrain needs a RECIPE.yaml (or --resume DIR)');
        const recipe = loadRecipe(recipeFile, [...o.set, ...seedOverride(o.seed)]);
        if (!recipe.pretrain) throw new UserError(`${recipeFile}: no pretrain section; add one (steps, batchSize, lr) and data.synth.pretrain`);
        run = new RecipeRun(recipe, { runDir: o.out ?? defaultRunDir('pretrain'), baseDir: dirname(resolve(recipeFile)), stopAfter: 'pretrain' });
      }
      const res = await run.run();
      process.stdout.write(`Run folder: ${res.runDir}\n`);
    });
}
