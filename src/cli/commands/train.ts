/**
 * `longrl train RECIPE.yaml [--out DIR] [--seed S] [--set key.path=value ...] [--resume DIR]`:
 * runs a recipe (src/train/config.ts) end to end in one run folder: pretrain? → SFT →
 * RL stages → evaluation → results.json → report.html. `--resume DIR` continues a run
 * folder after any interruption (its config.yaml is the recipe; RECIPE may be omitted).
 * The last stdout line is `Run folder: PATH`.
 */
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { loadRecipe } from '../../train/config.ts';
import { RecipeRun, defaultRunDir, recipeOfRun } from '../../train/recipe.ts';

interface TrainOpts {
  out?: string;
  seed?: string;
  set: string[];
  resume?: string;
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

export function seedOverride(seed: string | undefined): string[] {
  if (seed === undefined) return [];
  const n = Number(seed);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`--seed must be a non-negative integer, got "${seed}"`);
  return [`seed=${n}`];
}

export function register(program: Command): void {
  program
    .command('train')
    .description('run a recipe: SFT warm-up, curriculum RL stages, evaluation')
    .argument('[recipe]', 'recipe YAML (see recipes/ and src/train/config.ts)')
    .option('--out <dir>', 'run folder (default runs/<name>-<time>)')
    .option('--seed <n>', 'run seed (overrides the recipe)')
    .option('--set <key=value>', 'override a recipe field, e.g. --set rl.lr=3e-4 (repeatable)', collect, [])
    .option('--resume <dir>', 'continue a run folder after an interruption')
    .action(async (recipeFile: string | undefined, o: TrainOpts) => {
      let run: RecipeRun;
      if (o.resume !== undefined) {
        if (o.set.length > 0 || o.seed !== undefined) throw new UserError('--resume continues a run with its own config.yaml: --set and --seed are not allowed with it');
        run = new RecipeRun(recipeOfRun(o.resume), { runDir: o.resume, resume: true, baseDir: process.cwd() });
      } else {
        if (recipeFile === undefined) throw new UserError('train needs a RECIPE.yaml (or --resume DIR)');
        const recipe = loadRecipe(recipeFile, [...o.set, ...seedOverride(o.seed)]);
        const out = o.out ?? defaultRunDir(recipe.name ?? 'train');
        run = new RecipeRun(recipe, { runDir: out, baseDir: dirname(resolve(recipeFile)) });
      }
      const res = await run.run();
      process.stdout.write(`Run folder: ${res.runDir}\n`);
    });
}
