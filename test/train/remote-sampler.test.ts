/**
 * `longrl train` with `sampler: {kind: vllm | sglang}`: RL rollouts sampled on fake inference
 * servers (test/remote/fake-engines.ts, real HTTP on 127.0.0.1) that sample for real with a
 * LocalPolicy over the same base folder, loading whatever the weight sync writes.
 *
 * The run: SFT 2 steps (so the LoRA adapter is non-zero and AdamW momentum keeps moving the
 * weights every step), then 3 RL steps with 2 PPO epochs each (2 optimizer steps per RL
 * step), so the weight versions of the RL steps are 2, 4, 6: the optimizer steps before
 * them, not the number of syncs.
 *
 * Same tokens as the policy sampler: with ONE prompt per generation batch, the client sends
 * the batch seed unchanged and the server's LocalPolicy draws sample j from
 * Rng.derive(seed, "sample/0/j"), exactly as the trainer's own policy.sample does, so the
 * two runs must agree bit for bit (tokens, rewards, every metric but wall clock and the
 * rollout/ counters). With several prompts per batch this cannot hold: LocalPolicy derives
 * prompt i's streams from (seed, i) inside one call, while each server request carries one
 * prompt and its own seed (src/remote/rollout/rollout-client.ts), and real servers seed
 * their own way; so the test pins promptsPerStep to 1 rather than weakening the check.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeModelFolder } from '../../src/model/folder.ts';
import { withoutWallClock } from '../../src/observe/metrics-log.ts';
import { loadRecipe } from '../../src/train/config.ts';
import { buildInitModel, RecipeRun, StopForTest } from '../../src/train/recipe.ts';
import { startFakeEngine, type FakeEngine } from '../remote/fake-engines.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin', 'longrl.js');
const recipeFile = join(root, 'recipes', 'demo-tiny.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'longrl-remote-sampler-'));
const base = join(tmp, 'base');
writeModelFolder(base, buildInitModel('tiny', {}, 0));
const KEY_ENV = 'LONGRL_TEST_ROLLOUT_KEY';
const SECRET = 'sk-rollout-secret-0123';
after(() => rmSync(tmp, { recursive: true, force: true }));

const COMMON = [
  `model={path: "${base}"}`,
  'policy={kind: local, threads: 1, lora: {rank: 4, alpha: 8}}',
  'pretrain=null', 'sft.steps=2', 'sft.evalEvery=0',
  'rl.promptsPerStep=1', 'rl.groupSize=4', 'rl.miniBatches=1', 'rl.ppoEpochs=2', 'rl.lr=0.01',
  'rl.dynamicSampling.enabled=false', 'rl.samplesToKeep=4',
  'rl.stages=[{maxInputTokens: 96, maxOutputTokens: 8, steps: 2}, {maxInputTokens: 192, maxOutputTokens: 8, steps: 1}]',
  'eval.models=[]', 'checkpoint.every=1',
];
const vllmSampler = (urls: string[]) => `sampler={kind: vllm, urls: [${urls.map((u) => `'${u}'`).join(', ')}], baseModel: base, weightSync: lora, apiKeyEnv: ${KEY_ENV}, backoffS: 0.01}`;
const sets = (extra: string[]) => [...COMMON, ...extra].flatMap((s) => ['--set', s]);

function runCli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [KEY_ENV]: SECRET } });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

type Line = Record<string, unknown>;
const readLines = (f: string): Line[] => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Line);
const rlLines = (run: string) => readLines(join(run, 'metrics.jsonl')).filter((m) => m['phase'] === 'rl');
/** Counters of the rollout client: they count network events, not training (like wall clock). */
const COUNTER = /^rollout\/(retry_|endpoint_switch|weight_syncs|sync_failed|resynced|unload_failed)/;
const comparable = (m: Line): Line => Object.fromEntries(Object.entries(withoutWallClock(m)).filter(([k]) => !COUNTER.test(k)));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Results of the first test, reused by the fault and resume tests (node:test runs a file's tests in order). */
let reference: { lines: Line[]; samples: Line[] } | null = null;

test('sampler vllm: weight sync per optimizer step, versions, request shapes, same tokens and metrics as sampler policy, key never written', { timeout: 300_000 }, async () => {
  const fake = await startFakeEngine({ kind: 'vllm', modelDir: base, apiKey: SECRET });
  try {
    const local = join(tmp, 'local');
    const remote = join(tmp, 'vllm');
    const [a, b] = await Promise.all([
      runCli(['train', recipeFile, '--out', local, ...sets([])]),
      runCli(['train', recipeFile, '--out', remote, ...sets([vllmSampler([fake.url])])]),
    ]);
    assert.equal(a.code, 0, a.out);
    assert.equal(b.code, 0, b.out);
    assert.match(b.out, /rollouts: vllm at http:\/\/127\.0\.0\.1:\d+; weight sync lora/);

    // Versions = optimizer steps before each RL step: 2 SFT steps, then 2 per RL step.
    const lr = rlLines(remote);
    assert.equal(lr.length, 3);
    assert.deepEqual(lr.map((m) => m['rollout/weight_version']), [2, 4, 6]);
    for (const m of lr) {
      assert.equal(m['train/optimizer_steps'], 2);
      assert.ok((m['timing_s/weight_sync'] as number) > 0, 'every step synced');
      assert.ok(Math.abs(m['rollout/logprob_gap'] as number) < 1e-3, `trainer-vs-sampler gap ${m['rollout/logprob_gap']}`);
    }
    assert.equal(lr.at(-1)!['rollout/weight_syncs'], 3);

    // The sync sequence: load a new name per version, switch, unload the old one.
    const sync = fake.log.filter((l) => !l.startsWith('complete'));
    const prefix = /^load (longrl-[0-9a-f]{6})-v2$/.exec(sync[0] ?? '')?.[1];
    assert.ok(prefix, sync.join('\n'));
    assert.deepEqual(sync, [`load ${prefix}-v2`, `load ${prefix}-v4`, `unload ${prefix}-v2`, `load ${prefix}-v6`, `unload ${prefix}-v4`]);
    // Every rollout request names the adapter of the current version: one request (one prompt) per RL step.
    assert.deepEqual(fake.log.filter((l) => l.startsWith('complete')), [2, 4, 6].map((v) => `complete ${prefix}-v${v}`));
    assert.ok(fake.log.indexOf(`load ${prefix}-v4`) > fake.log.indexOf(`complete ${prefix}-v2`));
    // Request shapes (the fake also checks token-id prompts, return_token_ids, logprobs, seed).
    const completions = fake.requests.filter((r) => r.path === '/v1/completions');
    for (const { body } of completions) {
      assert.equal(body.n, 4);
      assert.equal(body.max_tokens, 8);
      assert.equal(body.temperature, 1);
      assert.equal(body.top_p, 1);
      assert.ok(Array.isArray(body.stop_token_ids) && body.stop_token_ids.length > 0);
    }
    for (const { body } of fake.requests.filter((r) => r.path === '/v1/load_lora_adapter')) {
      assert.match(body.lora_path, new RegExp(`^${remote.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/weights-sync/${prefix}-v\\d$`));
    }
    // Only the live version's folder stays; the checkpoint and the journal say which it is.
    assert.deepEqual(readdirSync(join(remote, 'weights-sync')), [`${prefix}-v6`]);
    assert.ok(existsSync(join(remote, 'weights-sync', `${prefix}-v6`, 'adapter_model.safetensors')));
    const latest = JSON.parse(readFileSync(join(remote, 'checkpoints', 'latest.json'), 'utf8')) as { dir: string };
    const state = JSON.parse(readFileSync(join(remote, 'checkpoints', latest.dir, 'state.json'), 'utf8')) as { rollout: unknown };
    assert.deepEqual(state.rollout, { version: 6, syncs: 3 });
    assert.equal((JSON.parse(readFileSync(join(remote, 'rollout-sync.json'), 'utf8')) as { loaded: { name: string } }).loaded.name, `${prefix}-v6`);

    // Same tokens, rewards and metrics as sampling with the policy itself.
    const ll = rlLines(local);
    assert.equal(ll.length, 3);
    for (let i = 0; i < 3; i++) {
      const want = comparable(ll[i]!);
      const got = comparable(lr[i]!);
      assert.deepEqual(Object.keys(got).filter((k) => !(k in want)), ['rollout/weight_version']);
      for (const k of Object.keys(want)) assert.deepEqual(got[k], want[k], `step ${i + 1}: ${k}`);
    }
    const sl = readLines(join(local, 'samples.jsonl'));
    const sr = readLines(join(remote, 'samples.jsonl'));
    assert.equal(sr.length, sl.length);
    assert.ok(sl.length >= 3);
    sr.forEach((s, i) => {
      const { weight_version, ...rest } = s;
      assert.deepEqual(rest, sl[i], 'same response and reward');
      assert.equal(weight_version, 2 * (s['step'] as number) - 4, 'the step-th line (after 2 SFT lines) sampled with 2 + 2·(RL steps before) optimizer steps');
    });

    // The key came from the environment (the fake refuses requests without it) and is written nowhere.
    assert.match(readFileSync(join(remote, 'config.yaml'), 'utf8'), new RegExp(`apiKeyEnv: ${KEY_ENV}`));
    for (const f of filesUnder(remote)) assert.ok(!readFileSync(f).includes(SECRET), `${f} holds the key`);
    assert.ok(!b.out.includes(SECRET));
    reference = { lines: lr, samples: sr };
  } finally {
    await fake.close();
  }
});

test('sampler vllm with a dead endpoint among two and a 500: the run goes on, same metrics, faults counted', { timeout: 300_000 }, async () => {
  assert.ok(reference, 'needs the first test');
  const dead = await startFakeEngine({ kind: 'vllm' });
  await dead.close();
  const live = await startFakeEngine({ kind: 'vllm', modelDir: base, apiKey: SECRET });
  live.failNext = 1;
  live.failPath = '/v1/completions';
  try {
    const out = join(tmp, 'faults');
    const res = await runCli(['train', recipeFile, '--out', out, ...sets([vllmSampler([dead.url, live.url])])]);
    assert.equal(res.code, 0, res.out);
    const lines = rlLines(out);
    const last = lines.at(-1)!;
    assert.equal(last['rollout/retry_5xx'], 1, 'the 500 was retried');
    assert.ok((last['rollout/sync_failed'] as number) >= 1, 'the dead server could not load weights');
    assert.equal(live.log.filter((l) => l.startsWith('complete')).length, 3, 'the live server served every rollout');
    lines.forEach((m, i) => assert.deepEqual(comparable(m), comparable(reference!.lines[i]!), `step ${i + 1}`));
  } finally {
    await live.close();
  }
});

test('sampler vllm: --resume re-syncs before its first rollout, retires what the killed process left, same metrics', { timeout: 300_000 }, async () => {
  assert.ok(reference, 'needs the first test');
  const fake = await startFakeEngine({ kind: 'vllm', modelDir: base, apiKey: SECRET });
  process.env[KEY_ENV] = SECRET;
  try {
    const out = join(tmp, 'resumed');
    const recipe = loadRecipe(recipeFile, [...COMMON, vllmSampler([fake.url])]);
    const quiet = { log: () => {}, progressStream: new Writable({ write: (_c, _e, cb) => cb() }) };
    // Stop right after the 2nd RL line (SFT 2 + RL 2), before its checkpoint: the servers hold v4 already.
    const first = new RecipeRun(recipe, { runDir: out, baseDir: root, ...quiet, stopAfterLines: 4 });
    await assert.rejects(first.run(), StopForTest);
    const killed = /^load (longrl-[0-9a-f]{6})-v2$/.exec(fake.log.filter((l) => l.startsWith('load'))[0] ?? '')?.[1];
    assert.ok(killed);
    const state = JSON.parse(readFileSync(join(out, 'checkpoints', (JSON.parse(readFileSync(join(out, 'checkpoints', 'latest.json'), 'utf8')) as { dir: string }).dir, 'state.json'), 'utf8')) as { rollout: unknown };
    assert.deepEqual(state.rollout, { version: 2, syncs: 1 });
    const before = fake.log.length;

    await new RecipeRun(recipe, { runDir: out, baseDir: root, resume: true, ...quiet }).run();
    const after = fake.log.slice(before).filter((l) => !l.startsWith('complete'));
    const fresh = /^load (longrl-[0-9a-f]{6})-v4$/.exec(after[0] ?? '')?.[1];
    assert.ok(fresh && fresh !== killed, after.join('\n'));
    assert.deepEqual(after, [`load ${fresh}-v4`, `unload ${killed}-v4`, `load ${fresh}-v6`, `unload ${fresh}-v4`]);
    const lines = rlLines(out);
    assert.equal(lines.length, 3);
    lines.forEach((m, i) => assert.deepEqual(comparable(m), comparable(reference!.lines[i]!), `step ${i + 1}`));
    assert.deepEqual(readdirSync(join(out, 'weights-sync')), [`${fresh}-v6`], 'the killed process\'s folders are gone');
  } finally {
    delete process.env[KEY_ENV];
    await fake.close();
  }
});

test('sampler sglang, full weights: update_weights_from_disk per optimizer step, versions on every rollout', { timeout: 300_000 }, async () => {
  const fake = await startFakeEngine({ kind: 'sglang', modelDir: base });
  try {
    const out = join(tmp, 'sglang');
    const res = await runCli(['train', recipeFile, '--out', out, ...sets([
      'policy={kind: local, threads: 1, lora: null}', 'rl.ppoEpochs=1',
      `sampler={kind: sglang, urls: ['${fake.url}'], weightSync: full, backoffS: 0.01}`,
    ])]);
    assert.equal(res.code, 0, res.out);
    assert.deepEqual(rlLines(out).map((m) => m['rollout/weight_version']), [2, 3, 4]);
    assert.deepEqual(fake.log, ['update v2', 'generate v2', 'update v3', 'generate v3', 'update v4', 'generate v4']);
    for (const { body } of fake.requests.filter((r) => r.path === '/generate')) {
      assert.equal(body.input_ids.length, 4, 'the prompt repeated G times');
      assert.equal(body.sampling_params.max_new_tokens, 8);
      assert.equal(body.lora_path, undefined);
    }
    const dirs = readdirSync(join(out, 'weights-sync'));
    assert.equal(dirs.length, 1);
    assert.ok(existsSync(join(out, 'weights-sync', dirs[0]!, 'model.safetensors')));
  } finally {
    await fake.close();
  }
});
