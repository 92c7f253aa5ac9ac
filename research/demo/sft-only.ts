/**
 * A recipe run up to its SFT evaluation (no RL): how well warm-up SFT from a given base
 * does, through the trainer's own SFT and evaluation (docs/demo-study.md §11).
 *
 *   npx tsx research/demo/sft-only.ts RECIPE.yaml OUT_DIR [key=value ...]
 *
 * e.g. `recipes/demo.yaml /tmp/sft model.path=/tmp/e1/base policy.threads=1 'eval.lengths=[96]'`.
 */
import { dirname, resolve } from 'node:path';
import { loadRecipe } from '../../src/train/config.ts';
import { RecipeRun } from '../../src/train/recipe.ts';

const [file, out, ...sets] = process.argv.slice(2);
if (file === undefined || out === undefined) throw new Error('usage: sft-only.ts RECIPE.yaml OUT_DIR [key=value ...]');
const run = new RecipeRun(loadRecipe(file, sets), { runDir: out, baseDir: dirname(resolve(file)), stopAfter: 'eval-sft' });
const res = await run.run();
console.log(JSON.stringify(res.results));
