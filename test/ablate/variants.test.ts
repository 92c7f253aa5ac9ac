/**
 * Variants as recipe transforms, dedupe by resolved-config hash (a variant identical to
 * another runs once and is reported as its alias), aggregation over seeds (ddof 1), and
 * the FLOP-budgeted step count of sft-long-answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { loadRecipe } from '../../src/train/config.ts';
import { trainFlops } from '../../src/train/flops.ts';
import { batchAt, lengthBuckets } from '../../src/train/sft.ts';
import { configHash, dedupeVariants, parseVariants, rlTemplate, variantRecipe, type VariantName } from '../../src/ablate/variants.ts';
import { ablationRows, compareRows, stdDdof1 } from '../../src/ablate/stats.ts';
import { longAnswerRecords, sftStepsForFlops } from '../../src/ablate/sft-long.ts';

const demo = loadRecipe(fileURLToPath(new URL('../../recipes/demo.yaml', import.meta.url)));
const start = { modelDir: '/m', rlFile: '/d/rl.jsonl', testFile: '/d/test.jsonl' };
const template = rlTemplate(demo, start, [1e12, 2e12, 3e12]);

test('dedupe: variants equal to the recipe are aliases of phased; the others run', () => {
  const names: VariantName[] = ['phased', 'single-stage', 'rs-off', 'rs-hard', 'rs-weighted', 'grpo', 'dr-grpo', 'dapo'];
  const plan = dedupeVariants(names.map((name) => ({ name, hash: configHash(variantRecipe(template, name)) })));
  const runsAs = Object.fromEntries(plan.map((p) => [p.name, p.runsAs]));
  // demo.yaml is DAPO with retrospective hard: rs-hard and dapo are the recipe itself.
  assert.deepEqual(runsAs, {
    phased: 'phased', 'single-stage': 'single-stage', 'rs-off': 'rs-off', 'rs-hard': 'phased', 'rs-weighted': 'rs-weighted',
    grpo: 'grpo', 'dr-grpo': 'dr-grpo', dapo: 'phased',
  });
  // The seed does not change the identity of a variant.
  assert.equal(configHash({ ...variantRecipe(template, 'grpo'), seed: 99 }), configHash(variantRecipe(template, 'grpo')));
  assert.notEqual(configHash(variantRecipe(template, 'grpo')), configHash(variantRecipe(template, 'dr-grpo')));
});

test('variant recipes: equal FLOPs, shared start, what the name says', () => {
  const ss = variantRecipe(template, 'single-stage');
  assert.deepEqual(ss.rl.stages.map((s) => [s.maxInputTokens, s.flops]), [[384, 6e12]]);
  assert.equal(ss.rl.retrospective.mode, 'off');
  const grpo = variantRecipe(template, 'grpo');
  assert.deepEqual([grpo.rl.algorithm, grpo.rl.aggMode, grpo.rl.dynamicSampling.enabled], ['grpo', 'seq-mean-token-mean', false]);
  const dr = variantRecipe(template, 'dr-grpo');
  assert.deepEqual([dr.rl.aggMode, dr.rl.dynamicSampling.enabled], ['seq-mean-token-sum-norm', false]);
  assert.deepEqual([template.rl.aggMode, template.rl.dynamicSampling.enabled], ['token-mean', true]);
  for (const r of [template, ss, grpo]) {
    assert.deepEqual(r.model, { path: '/m' });
    assert.equal(r.sft, null);
    assert.equal(r.pretrain, null);
    assert.deepEqual(r.eval.lengths, [96, 192, 384]);
  }
  assert.equal(variantRecipe(template, 'rs-weighted').rl.retrospective.mode, 'weighted');
  assert.throws(() => parseVariants('phased,nope'), /unknown variant "nope"/);
  assert.deepEqual(parseVariants('phased, single-stage,phased'), ['phased', 'single-stage']);
});

test('ablation rows: mean and std over seeds (ddof 1), n per seed', () => {
  const rows = ablationRows([
    { variant: 'a', seed: 1, byLength: { 256: { accuracy: 80, n: 100 }, 512: { accuracy: 50, n: 100 } } },
    { variant: 'a', seed: 2, byLength: { 256: { accuracy: 90, n: 100 }, 512: { accuracy: 60, n: 100 } } },
    { variant: 'a', seed: 3, byLength: { 256: { accuracy: 100, n: 100 }, 512: { accuracy: 40, n: 100 } } },
    { variant: 'b', seed: 1, byLength: { 256: { accuracy: 70, n: 100 } } },
  ]);
  assert.deepEqual(rows, [
    { variant: 'a', length: 256, mean: 90, std: 10, seeds: 3, n: 100 },
    { variant: 'a', length: 512, mean: 50, std: 10, seeds: 3, n: 100 },
    { variant: 'b', length: 256, mean: 70, std: null, seeds: 1, n: 100 },
  ]);
  // Independent reference: sqrt(((1-2.5)²+(2-2.5)²+(3-2.5)²+(4-2.5)²)/3) = sqrt(5/3).
  assert.ok(Math.abs(stdDdof1([1, 2, 3, 4])! - Math.sqrt(5 / 3)) < 1e-12);
  const c = compareRows({ variant: 'x', length: 1, mean: 90, std: 10, seeds: 3, n: 1 }, { variant: 'y', length: 1, mean: 50, std: 10, seeds: 3, n: 1 });
  assert.equal(c.clear, true);
  assert.equal(compareRows(rows[0]!, rows[2]!).clear, false, 'one seed: never beyond noise');
});

test('sft-long-answers: empty think then the answer sentence; steps until the FLOP budget', () => {
  const [r] = longAnswerRecords([{ id: 'x', data_source: 'synth', document: 'd', question: 'q', answer: 'bami' }]);
  assert.equal(r!.trace, '<think>\n\n</think>\n\nTherefore, the answer is bami.');
  const fm = { n: 1000, layers: 2, attnDim: 8 };
  const tokens_N = [100, 200, 300, 400, 500, 600, 700];
  const budget = 5 * trainFlops(fm, 400) * 2;
  const { steps, flops } = sftStepsForFlops(tokens_N, 2, 7, fm, budget);
  // Brute force over the same batches.
  const buckets = lengthBuckets(tokens_N, 2);
  let f = 0;
  let k = 0;
  while (f < budget) {
    for (const i of batchAt(buckets, k, 7, 'sft')) f += trainFlops(fm, tokens_N[i]!);
    k++;
  }
  assert.deepEqual([steps, flops], [k, f]);
  assert.ok(flops >= budget);
});
