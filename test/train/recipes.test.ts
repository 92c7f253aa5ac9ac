/**
 * Every recipe in recipes/ validates against the recipe schema, and the remote blocks
 * (`policy.kind: tinker`, `sampler`) parse with their defaults and refuse what the Tinker
 * API cannot train, naming the field and its line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRecipe, parseRecipeYaml, recipeToYaml } from '../../src/train/config.ts';
import { errorOf } from '../helpers/errors.ts';

const recipesDir = fileURLToPath(new URL('../../recipes/', import.meta.url));

test('every file in recipes/ validates against the recipe schema', () => {
  const files = readdirSync(recipesDir).filter((f) => /\.ya?ml$/.test(f)).sort();
  for (const want of ['demo-tiny.yaml', 'demo.yaml', 'qwenlong-l1-cluster.yaml', 'qwenlong-l1.yaml']) assert.ok(files.includes(want), `${want} missing`);
  for (const f of files) {
    const r = loadRecipe(join(recipesDir, f));
    assert.ok(r.rl.stages.length > 0, f);
  }
});

test('qwenlong-l1-cluster.yaml: a tinker policy with the paper settings the Tinker API allows', () => {
  const r = loadRecipe(join(recipesDir, 'qwenlong-l1-cluster.yaml'));
  assert.equal(r.policy.kind, 'tinker');
  if (r.policy.kind !== 'tinker') return;
  assert.equal(r.policy.baseModel, 'deepseek-ai/DeepSeek-R1-Distill-Qwen-14B');
  assert.equal(r.policy.loraRank, 0);
  assert.equal(r.policy.apiKeyEnv, 'TINKER_API_KEY');
  assert.equal(r.policy.backend, 'auto');
  assert.equal(r.policy.heartbeatS, 10);
  assert.equal(r.sampler.kind, 'policy');
  assert.equal(r.rl.temperature, 1);
  // Everything else as the local paper recipe.
  const local = loadRecipe(join(recipesDir, 'qwenlong-l1.yaml'));
  assert.equal(local.policy.kind, 'local');
  assert.deepEqual({ ...r.rl, temperature: 0.7 }, local.rl);
  assert.deepEqual(r.eval, local.eval);
  assert.deepEqual(r.sft, local.sft);
});

const MINIMAL = `model:
  init: {preset: tiny}
data:
  synth: {sft: {count: 2}, rl: {count: 2}, test: {count: 2}}
rl:
  temperature: 1.0
  stages:
    - {maxInputTokens: 256, maxOutputTokens: 32, steps: 2}
`;

test('policy defaults to local; a policy section without kind is local; sampler defaults to the policy', () => {
  const r = parseRecipeYaml(MINIMAL, 'x.yaml');
  assert.deepEqual(r.policy, { kind: 'local', packRows: 2048, lora: null });
  assert.deepEqual(r.sampler, { kind: 'policy', urls: [], weightSync: 'lora' });
  const t = parseRecipeYaml(`${MINIMAL}policy: {threads: 2}\n`, 'x.yaml');
  assert.deepEqual(t.policy, { kind: 'local', threads: 2, packRows: 2048, lora: null });
});

test('policy.kind tinker: defaults filled in, round-trips through config.yaml, keys checked', () => {
  const r = parseRecipeYaml(`${MINIMAL.replace('init: {preset: tiny}', 'path: ./m')}policy: {kind: tinker, url: 'http://head:8000', baseModel: Qwen/Qwen3-8B}\n`, 'x.yaml');
  assert.deepEqual(r.policy, {
    kind: 'tinker', url: 'http://head:8000', baseModel: 'Qwen/Qwen3-8B', loraRank: 32, backend: 'auto',
    maxDatumsPerRequest: 1024, maxRequestBytes: 5_000_000, operationDeadlineS: 7200, heartbeatS: 10,
  });
  assert.deepEqual(parseRecipeYaml(recipeToYaml(r), 'config.yaml'), r);
  // An API key is never part of a recipe; a local-only key is not a tinker key.
  assert.match(errorOf(() => parseRecipeYaml(`${MINIMAL}policy: {kind: tinker, url: 'http://h:1', baseModel: m, apiKey: tml-x}\n`, 'x.yaml')), /x\.yaml:9:\d+: field "policy\.apiKey": unknown key/);
  assert.match(errorOf(() => parseRecipeYaml(`${MINIMAL}policy: {kind: tinker, url: 'http://h:1', baseModel: m, threads: 2}\n`, 'x.yaml')), /field "policy\.threads": unknown key/);
  assert.match(errorOf(() => parseRecipeYaml(`${MINIMAL}policy: {kind: tinker, baseModel: m}\n`, 'x.yaml')), /field "policy\.url"/);
  assert.match(errorOf(() => parseRecipeYaml(`${MINIMAL}policy: {kind: gpu}\n`, 'x.yaml')), /field "policy\.kind": .*'local' \| 'tinker'/);
  assert.match(errorOf(() => parseRecipeYaml(`${MINIMAL}sampler: {kind: vllm, urls: [nope]}\n`, 'x.yaml')), /field "sampler\.urls\.0"/);
});

test('a tinker policy refuses a training temperature other than 1 and an entropy bonus, naming the field and line', () => {
  const tinker = `${MINIMAL}policy: {kind: tinker, url: 'http://h:1', baseModel: m}\n`;
  const withPath = (y: string) => y.replace('init: {preset: tiny}', 'path: ./m');
  const msg = errorOf(() => parseRecipeYaml(withPath(tinker).replace('temperature: 1.0', 'temperature: 0.7'), 'x.yaml'));
  assert.match(msg, /x\.yaml:6:\d+: field "rl\.temperature": must be 1 with policy\.kind tinker/);
  const msg2 = errorOf(() => parseRecipeYaml(withPath(tinker), 'x.yaml', ['rl.entropyCoef=0.001']));
  assert.match(msg2, /field "rl\.entropyCoef": must be 0 with policy\.kind tinker/);
  assert.match(errorOf(() => parseRecipeYaml(tinker, 'x.yaml')), /field "model": give model\.path with policy\.kind tinker/);
  // The same settings are fine locally.
  assert.equal(parseRecipeYaml(MINIMAL.replace('temperature: 1.0', 'temperature: 0.7'), 'x.yaml', ['rl.entropyCoef=0.001']).rl.entropyCoef, 0.001);
});

test('an inference-server sampler needs a local policy that can write its weights, and server URLs', () => {
  const vllm = `${MINIMAL}sampler: {kind: vllm, urls: ['http://127.0.0.1:9']}\n`;
  assert.match(errorOf(() => parseRecipeYaml(vllm, 'x.yaml')), /field "sampler\.weightSync": is lora, but policy\.lora is null/);
  assert.equal(parseRecipeYaml(vllm, 'x.yaml', ['policy.lora={rank: 2, alpha: 4}']).sampler.kind, 'vllm');
  const tinker = ['model={path: /m}', "policy={kind: tinker, url: 'http://127.0.0.1:9', baseModel: m}"];
  assert.match(errorOf(() => parseRecipeYaml(vllm, 'x.yaml', tinker)), /field "sampler\.kind": sampler\.kind vllm with policy\.kind tinker is not possible: the Tinker API cannot send the trained weights back/);
  assert.match(errorOf(() => parseRecipeYaml(`${MINIMAL}sampler: {kind: sglang, weightSync: full}\n`, 'x.yaml')), /field "sampler\.urls": give at least one server URL/);
});
