import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeAdvantages, broadcastAdvantages } from '../../src/rl/index.ts';
import { UserError } from '../../src/util/errors.ts';
import { stdPopulation, stdUnbiased } from '../../src/rl/stats.ts';
import { closeArray } from './helpers.ts';

// Golden values worked from rl-algorithms.md §1 (checked against numpy float64).
// Group of 8, rewards [1,0,0,1,1,0,0,0]: μ = 3/8; Σ(r−μ)² = 3·0.625² + 5·0.375² = 1.875;
// σ = sqrt(1.875/7) = 0.5175491695067657; A = (r − μ)/(σ + 1e-6).
const G8 = [1, 0, 0, 1, 1, 0, 0, 0];
const A8_POS = 0.625 / (0.5175491695067657 + 1e-6); // 1.2076123955202949
const A8_NEG = -0.375 / (0.5175491695067657 + 1e-6); // -0.724567437312177

test('std flavours: unbiased for GRPO, population for DAPO', () => {
  closeArray([stdUnbiased([1, 0]), stdPopulation([1, 0])], [Math.SQRT1_2, 0.5], 1e-15);
  assert.ok(Number.isNaN(stdUnbiased([3])));
  assert.equal(stdPopulation([3]), 0);
});

test('grpo: group of 8 mixed, group of 2, constant group of 8, singleton', () => {
  const rewards = [...G8, 1, 0, ...Array(8).fill(1), 0.7];
  const groups = [...Array(8).fill('a'), 'b', 'b', ...Array(8).fill('c'), 'd'];
  const { advantages_B, stats } = computeAdvantages('grpo', { rewards_B: rewards, groupIds_B: groups });
  const expected = [
    ...G8.map((r) => (r === 1 ? A8_POS : A8_NEG)),
    0.5 / (Math.SQRT1_2 + 1e-6), -0.5 / (Math.SQRT1_2 + 1e-6), // ±0.7071057811879616
    ...Array(8).fill(0), // constant group: 0/(0 + ε)
    0.7 / (1 + 1e-6), // singleton: μ = 0, σ = 1 → 0.6999993000007
  ];
  closeArray(advantages_B, expected, 1e-9, 'grpo');
  closeArray([advantages_B[0] as number, advantages_B[1] as number, advantages_B[8] as number, advantages_B[18] as number], [1.2076123955202949, -0.724567437312177, 0.7071057811879616, 0.6999993000007], 1e-9, 'numpy digits');
  assert.deepEqual(stats, { numGroups: 4, singletonGroups: 1, zeroStdGroups: 1, singletonTasks: 0, zeroStdTasks: 0 });
});

test('grpo: interleaved group ids, fractional rewards (numpy golden)', () => {
  const r = [0.2, 0.9, 0.4, 0.4, 1.0, 0.0, 0.7, 0.3];
  // interleave with a second group of 2 so grouping by key (not position) is exercised
  const rewards = [r[0], 5, r[1], r[2], r[3], -5, r[4], r[5], r[6], r[7]] as number[];
  const ids = [7, 9, 7, 7, 7, 9, 7, 7, 7, 7];
  const { advantages_B } = computeAdvantages('grpo', { rewards_B: Float64Array.from(rewards), groupIds_B: ids });
  const g = [-0.8256495112831878, 1.1846275596671823, -0.2512846338687963, -0.2512846338687963, 1.471809998374378, -1.4000143886975793, 0.6102626822527907, -0.5384670725759921];
  // group 9: [5, −5]: μ 0, σ = sqrt(50) → ±5/(7.0710678 + 1e-6)
  const s9 = 5 / (Math.sqrt(50) + 1e-6);
  closeArray(advantages_B, [g[0], s9, g[1], g[2], g[3], -s9, g[4], g[5], g[6], g[7]] as number[], 1e-9, 'interleaved');
});

test('grpo: constant group of 2 and singleton with reward 0 give 0', () => {
  const { advantages_B, stats } = computeAdvantages('grpo', { rewards_B: [1, 1, 0], groupIds_B: ['p', 'p', 'q'] });
  assert.deepEqual(Array.from(advantages_B), [0, 0, 0]);
  assert.equal(stats.zeroStdGroups, 1);
  assert.equal(stats.singletonGroups, 1);
});

test('dr-grpo: r − μ, singleton keeps r; normByStd=false on grpo is the same', () => {
  const input = { rewards_B: [1, 0, 0, 0.25], groupIds_B: ['x', 'x', 'x', 'y'] };
  const dr = computeAdvantages('dr-grpo', input).advantages_B;
  closeArray(dr, [2 / 3, -1 / 3, -1 / 3, 0.25], 1e-12, 'dr-grpo');
  const g = computeAdvantages('grpo', { ...input, options: { normByStd: false } }).advantages_B;
  assert.deepEqual(g, dr);
});

test('rloo: r − mean(others); singleton keeps r; optional std normalisation', () => {
  const r = [0.2, 0.9, 0.4, 0.4, 1.0, 0.0, 0.7, 0.3];
  const { advantages_B } = computeAdvantages('rloo', { rewards_B: [...r, 3], groupIds_B: [...Array(8).fill(0), 1] });
  const loo = [-0.32857142857142857, 0.47142857142857136, -0.1, -0.1, 0.5857142857142856, -0.5571428571428572, 0.24285714285714277, -0.21428571428571436];
  closeArray(advantages_B, [...loo, 3], 1e-12, 'rloo');
  // group of 2 [1, 0]: n/(n−1)(r − μ) = ±1; with normByStd ÷ (σ + ε), σ = √½
  const n = computeAdvantages('rloo', { rewards_B: [1, 0], groupIds_B: [0, 0], options: { normByStd: true } }).advantages_B;
  closeArray(n, [1 / (Math.SQRT1_2 + 1e-6), -1 / (Math.SQRT1_2 + 1e-6)], 1e-12, 'rloo std');
});

test('grpo-task-norm: task std over the batch, single-item task guarded to σ = 1', () => {
  // task a: groups g1 [1, 0] and g2 [1, 1] → task rewards [1,0,1,1], σ_task = 0.5 (unbiased)
  // task b: one item (singleton group g3, r = 0.5) → σ_task guarded to 1 → 0.5/(1 + 1e-6)
  const out = computeAdvantages('grpo-task-norm', {
    rewards_B: [1, 0, 1, 1, 0.5],
    groupIds_B: ['g1', 'g1', 'g2', 'g2', 'g3'],
    taskIds_B: ['a', 'a', 'a', 'a', 'b'],
  });
  closeArray(out.advantages_B, [0.5 / 0.500001, -0.5 / 0.500001, 0, 0, 0.5 / 1.000001], 1e-12, 'task-norm');
  assert.equal(out.stats.singletonTasks, 1);
  assert.equal(out.stats.zeroStdTasks, 0);
  // a task of two singleton groups with equal rewards: σ_task = 0 → guarded (not r/ε ≈ 10⁶)
  const z = computeAdvantages('grpo-task-norm', { rewards_B: [1, 1], groupIds_B: [0, 1], taskIds_B: ['t', 't'] });
  closeArray(z.advantages_B, [1 / 1.000001, 1 / 1.000001], 1e-12, 'zero-std task');
  assert.equal(z.stats.zeroStdTasks, 1);
});

test('errors name what and where', () => {
  assert.throws(() => computeAdvantages('grpo', { rewards_B: [1, NaN], groupIds_B: [0, 0] }), (e: unknown) => e instanceof UserError && /rewards_B\[1\]/.test(e.message));
  assert.throws(() => computeAdvantages('grpo', { rewards_B: [1], groupIds_B: [0, 0] }), UserError);
  assert.throws(() => computeAdvantages('grpo-task-norm', { rewards_B: [1], groupIds_B: [0] }), /taskIds_B is required/);
  assert.throws(() => computeAdvantages('gae' as never, { rewards_B: [1], groupIds_B: [0] }), /unknown advantage estimator/);
});

test('broadcastAdvantages: A on valid tokens, 0 elsewhere', () => {
  const rows = broadcastAdvantages([2, -1], [Float32Array.from([0, 1, 1]), Float32Array.from([0, 0])]);
  assert.deepEqual(Array.from(rows[0] as Float32Array), [0, 2, 2]);
  assert.deepEqual(Array.from(rows[1] as Float32Array), [0, 0]);
});
