/**
 * `longrl ablate [RECIPE] [--seeds 3] [--budget MINUTES] [--variants a,b,...]
 * [--size tiny|full] [--out DIR] [--resume DIR]`: the paper's ablations of a recipe at
 * equal compute (src/ablate/run.ts). Without RECIPE, the demo recipe of the size
 * (recipes/demo.yaml, or recipes/demo-tiny.yaml for tiny). The last stdout line is
 * `Run folder: PATH` (contracts.md §4).
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { loadRecipe } from '../../train/config.ts';
import { defaultRunDir } from '../../train/recipe.ts';
import { parseVariants } from '../../ablate/variants.ts';
import { runAblation } from '../../ablate/run.ts';

interface AblateCliOpts {
  seeds: string;
  budget?: string;
  variants?: string;
  size: string;
  out?: string;
  resume?: string;
  set: string[];
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`${flag} must be a positive integer, got "${v}"`);
  return n;
}

export function register(program: Command): void {
  program
    .command('ablate')
    .description('run variants of a recipe (phased vs single-stage, retrospective sampling, GRPO/Dr.GRPO/DAPO, hybrid vs rule-only, SFT on long answers) from one SFT checkpoint at equal FLOPs, over several seeds')
    .argument('[recipe]', 'recipe YAML (default: the demo recipe of --size)')
    .option('--seeds <n>', 'seeds per variant', '3')
    .option('--budget <minutes>', 'wall-clock limit of the whole job: the plan is sized to fit and partial rows are written rather than overrun')
    .option('--variants <list>', 'comma-separated: phased,single-stage,rs-off,rs-hard,rs-weighted,grpo,dr-grpo,dapo,hybrid,rule-only,sft-long-answers (default: all that apply)')
    .option('--size <size>', 'tiny (smoke-test scale) or full', 'full')
    .option('--out <dir>', 'ablation folder (default runs/ablate-<name>-<time>)')
    .option('--resume <dir>', 'continue an interrupted ablation (finished runs are not redone)')
    .option('--set <key=value>', 'override a recipe field before the ablation (repeatable)', collect, [])
    .action(async (recipeFile: string | undefined, o: AblateCliOpts) => {
      if (o.size !== 'tiny' && o.size !== 'full') throw new UserError(`--size must be tiny or full, got "${o.size}"`);
      let budgetMin: number | null = null;
      if (o.budget !== undefined) {
        budgetMin = Number(o.budget);
        if (!Number.isFinite(budgetMin) || budgetMin <= 0) throw new UserError(`--budget must be a positive number of minutes, got "${o.budget}"`);
      }
      const seeds = positiveInt(o.seeds, '--seeds');
      const variants = parseVariants(o.variants);
      if (o.resume !== undefined) {
        const res = await runAblation({ recipe: null, baseDir: process.cwd(), outDir: o.resume, resume: true, seeds, budgetMin, variants, size: o.size });
        process.stdout.write(`Run folder: ${res.outDir}\n`);
        return;
      }
      const file = recipeFile ?? fileURLToPath(new URL(`../../../recipes/${o.size === 'tiny' ? 'demo-tiny' : 'demo'}.yaml`, import.meta.url));
      const recipe = loadRecipe(file, o.set);
      const out = o.out ?? defaultRunDir(`ablate-${recipe.name ?? 'recipe'}`);
      const res = await runAblation({ recipe, baseDir: dirname(resolve(file)), outDir: out, seeds, budgetMin, variants, size: o.size });
      process.stdout.write(`Run folder: ${res.outDir}\n`);
    });
}
