import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseRecipeYaml, recipeToYaml, aggModeOf, dynamicSamplingOn } from '../../src/train/config.ts';
import { errorOf } from '../helpers/errors.ts';

const MINIMAL = `seed: 3
model:
  init: {preset: tiny}
data:
  synth:
    sft: {count: 10}
    rl: {count: 10}
    test: {count: 5}
rl:
  stages:
    - {maxInputTokens: 256, maxOutputTokens: 32, steps: 2}
`;

test('defaults follow the paper: G=8, no KL, T 0.7, top-p 0.95, token-mean, DAPO clip 0.2/0.28, dynamic sampling on', () => {
  const r = parseRecipeYaml(MINIMAL, 'x.yaml');
  assert.equal(r.rl.groupSize, 8);
  assert.equal(r.rl.klCoef, 0);
  assert.equal(r.rl.temperature, 0.7);
  assert.equal(r.rl.topP, 0.95);
  assert.equal(aggModeOf(r.rl), 'token-mean');
  assert.equal(r.rl.clipLow, 0.2);
  assert.equal(r.rl.clipHigh, 0.28);
  assert.equal(dynamicSamplingOn(r.rl), true);
  assert.equal(r.rl.overlong.enabled, true);
  assert.equal(r.rl.retrospective.mode, 'hard');
  assert.equal(r.seed, 3);
});

test('an unknown key is an error naming the field path and the line', () => {
  const msg = errorOf(() => parseRecipeYaml(MINIMAL.replace('    - {maxInputTokens', '  bogus: 1\n  stages2: 2\n    - {maxInputTokens'), 'x.yaml'));
  assert.match(msg, /x\.yaml:\d+/);
  const msg2 = errorOf(() => parseRecipeYaml(`${MINIMAL}  groupSiz: 4\n`, 'x.yaml'));
  assert.match(msg2, /x\.yaml:12:3: field "rl\.groupSiz": unknown key/);
});

test('a wrong type is an error naming the field and the line', () => {
  const msg = errorOf(() => parseRecipeYaml(`${MINIMAL}  groupSize: eight\n`, 'r.yaml'));
  assert.match(msg, /r\.yaml:12:\d+: field "rl\.groupSize": .*expected number/);
  const msg2 = errorOf(() => parseRecipeYaml(MINIMAL.replace('steps: 2', 'steps: 2.5'), 'r.yaml'));
  assert.match(msg2, /r\.yaml:11:\d+: field "rl\.stages\.0\.steps"/);
});

test('a stage gives exactly one of steps, epochs or flops', () => {
  const r = parseRecipeYaml(MINIMAL.replace('steps: 2', 'flops: 1.0e12'), 'x.yaml');
  assert.equal(r.rl.stages[0]!.flops, 1e12);
  const msg = errorOf(() => parseRecipeYaml(MINIMAL.replace('steps: 2', 'steps: 2, flops: 1.0e12'), 'x.yaml'));
  assert.match(msg, /x\.yaml:11:\d+: field "rl\.stages\.0": give exactly one of steps, epochs or flops/);
});

test('YAML syntax errors name the line', () => {
  const msg = errorOf(() => parseRecipeYaml('seed: 1\nmodel: [unclosed\n', 'bad.yaml'));
  assert.match(msg, /bad\.yaml:\d+:\d+: YAML error/);
});

test('--set overrides apply before validation, and the resolved YAML round-trips', () => {
  const r = parseRecipeYaml(MINIMAL, 'x.yaml', ['rl.lr=3e-4', 'rl.algorithm=grpo']);
  assert.equal(r.rl.lr, 3e-4);
  assert.equal(aggModeOf(r.rl), 'seq-mean-token-mean');
  assert.equal(dynamicSamplingOn(r.rl), false);
  const again = parseRecipeYaml(recipeToYaml(r), 'config.yaml');
  assert.deepEqual(again, r);
  const msg = errorOf(() => parseRecipeYaml(MINIMAL, 'x.yaml', ['rl.groupSize=0']));
  assert.match(msg, /field "rl\.groupSize"/);
});

test('the shipped recipes validate', () => {
  for (const name of ['demo.yaml', 'demo-tiny.yaml', 'qwenlong-l1.yaml']) {
    const p = fileURLToPath(new URL(`../../recipes/${name}`, import.meta.url));
    parseRecipeYaml(readFileSync(p, 'utf8'), p);
  }
});
