import { test } from 'node:test';
import assert from 'node:assert/strict';

import { join } from 'node:path';
import {
  bucketByStage,
  stageOfLength,
  validateStages,
  PoolSampler,
  TaskBalancedSampler,
  allocateBatch,
  DifficultyTracker,
  selectCarryOver,
  Curriculum,
  saveCurriculumState,
  loadCurriculumState,
  type CurriculumItem,
  type Stage,
} from '../../src/curriculum/index.ts';
import { UserError } from '../../src/util/errors.ts';
import { tempDir } from '../temp-dir.ts';

const stages: Stage[] = [
  { maxInputTokens: 512, maxOutputTokens: 64, steps: 3 },
  { maxInputTokens: 2048, maxOutputTokens: 128, steps: 4 },
];

test('stages: bucketing at the boundaries (L_{k-1}, L_k]', () => {
  assert.equal(stageOfLength(1, stages), 0);
  assert.equal(stageOfLength(512, stages), 0);
  assert.equal(stageOfLength(513, stages), 1);
  assert.equal(stageOfLength(2048, stages), 1);
  assert.equal(stageOfLength(2049, stages), -1);
  assert.equal(stageOfLength(0, stages), -1);
  const items = [511, 512, 513, 2048, 2049].map((length, i) => ({ id: `r${i}`, length }));
  const { buckets, dropped } = bucketByStage(items, stages);
  assert.deepEqual(buckets.map((b) => b.map((x) => x.id)), [['r0', 'r1'], ['r2', 'r3']]);
  assert.deepEqual(dropped.map((x) => x.id), ['r4']);
});

test('stages: validation names the stage and field', () => {
  assert.throws(() => validateStages([stages[1] as Stage, stages[0] as Stage]), (e: unknown) => e instanceof UserError && /\[1\]\.maxInputTokens/.test(e.message));
  assert.throws(() => validateStages([{ maxInputTokens: 5, maxOutputTokens: 5 }]), /exactly one of "steps" or "epochs"/);
  assert.deepEqual(validateStages([{ maxInputTokens: 5, maxOutputTokens: 5, steps: 1, lr: 1 } as Stage]), [{ maxInputTokens: 5, maxOutputTokens: 5, steps: 1 }]);
  assert.throws(() => validateStages([{ maxInputTokens: 5.5, maxOutputTokens: 5, steps: 1 }]), /stages\[0\]\.maxInputTokens/);
});

test('PoolSampler: each epoch is a permutation; resume from state continues identically', () => {
  const items = Array.from({ length: 10 }, (_, i) => ({ id: `x${i}` }));
  const s = new PoolSampler(items, 1, 'p');
  const first = s.take(10);
  assert.deepEqual([...first].sort(), items.map((i) => i.id).sort());
  s.take(3);
  const saved = JSON.parse(JSON.stringify(s.state()));
  const cont = s.take(25);
  const r = new PoolSampler(items, 1, 'p', false, saved);
  assert.deepEqual(r.take(25), cont);
  // Same seed same stream; another seed differs.
  assert.deepEqual(new PoolSampler(items, 1, 'p').take(10), first);
  assert.notDeepEqual(new PoolSampler(items, 2, 'p').take(10), first);
});

test('PoolSampler weighted: frequencies follow the weights; resume identical', () => {
  const items = [{ id: 'a', weight: 1 }, { id: 'b', weight: 3 }, { id: 'c', weight: 0 }];
  const s = new PoolSampler(items, 4, 'w', true);
  const draws = s.take(8000);
  const n = (id: string) => draws.filter((d) => d === id).length;
  assert.equal(n('c'), 0);
  assert.ok(Math.abs(n('b') / 8000 - 0.75) < 0.02, `${n('b')}`);
  const saved = JSON.parse(JSON.stringify(s.state()));
  const cont = s.take(50);
  assert.deepEqual(new PoolSampler(items, 4, 'w', true, saved).take(50), cont);
});

test('task balance: even and weighted counts per batch, fractional shares rotate', () => {
  assert.deepEqual(allocateBatch(8, [1, 1], [0, 0], 0), [4, 4]);
  // 3 tasks, batch 4: over 3 batches each task gets exactly 4.
  let given = [0, 0, 0];
  const per: number[][] = [];
  for (let b = 0; b < 3; b++) {
    const c = allocateBatch(4, [1, 1, 1], given, b);
    assert.equal(c.reduce((x, y) => x + y, 0), 4);
    per.push(c);
    given = given.map((g, i) => g + (c[i] as number));
  }
  assert.deepEqual(given, [4, 4, 4]);
  const items = [
    ...Array.from({ length: 30 }, (_, i) => ({ id: `kv${i}`, task: 'kv' })),
    ...Array.from({ length: 5 }, (_, i) => ({ id: `ch${i}`, task: 'chain' })),
    ...Array.from({ length: 9 }, (_, i) => ({ id: `lg${i}`, task: 'ledger' })),
  ];
  const even = new TaskBalancedSampler(items, 1, 's');
  const counts = { kv: 0, chain: 0, ledger: 0 } as Record<string, number>;
  for (let b = 0; b < 10; b++) for (const id of even.next(6)) counts[id.startsWith('kv') ? 'kv' : id.startsWith('ch') ? 'chain' : 'ledger']!++;
  assert.deepEqual(counts, { kv: 20, chain: 20, ledger: 20 });
  const w = new TaskBalancedSampler(items, 1, 's', { weights: { kv: 3, chain: 1, ledger: 0 } });
  const c2 = { kv: 0, chain: 0, ledger: 0 } as Record<string, number>;
  for (let b = 0; b < 10; b++) for (const id of w.next(8)) c2[id.startsWith('kv') ? 'kv' : id.startsWith('ch') ? 'chain' : 'ledger']!++;
  assert.deepEqual(c2, { kv: 60, chain: 20, ledger: 0 });
  const saved = JSON.parse(JSON.stringify(w.state()));
  const cont = [w.next(8), w.next(5)];
  const r = new TaskBalancedSampler(items, 1, 's', { weights: { kv: 3, chain: 1, ledger: 0 } }, saved);
  assert.deepEqual([r.next(8), r.next(5)], cont);
  assert.throws(() => new TaskBalancedSampler(items, 1, 's', { weights: { nope: 1 } }), /no item has task "nope"/);
});

test('difficulty + retrospective modes', () => {
  const t = new DifficultyTracker();
  t.observe('zero', [0, 0, 0, 0]);
  t.observe('zero', [0, 0]);
  t.observe('quarter', [1, 0, 0, 0]);
  t.observe('half', [1, 0]);
  t.observe('half', [1, 1, 0, 0]);
  t.observe('solved', [1, 1]);
  // mean over groups of group means
  t.observe('mixed', [1, 1, 1, 1]);
  t.observe('mixed', [0, 0]);
  assert.equal(t.meanReward('mixed'), 0.5);
  const ids = ['zero', 'quarter', 'half', 'solved', 'mixed', 'unseen'];
  assert.deepEqual(selectCarryOver(ids, t, { mode: 'off', weightCap: 8 }), []);
  assert.deepEqual(selectCarryOver(ids, t, { mode: 'hard', weightCap: 8 }), [{ id: 'zero', weight: 1, meanReward: 0 }]);
  assert.deepEqual(
    selectCarryOver(ids, t, { mode: 'weighted', weightCap: 3 }).map((c) => [c.id, c.weight]),
    [['zero', 3], ['quarter', 3], ['half', 2], ['mixed', 2]],
  );
  assert.deepEqual(selectCarryOver(ids, t, { mode: 'weighted', weightCap: 8, maxCarry: 2 }).map((c) => c.id), ['zero', 'quarter']);
  assert.deepEqual(new DifficultyTracker(JSON.parse(JSON.stringify(t.state()))).state(), t.state());
});

function items(): CurriculumItem[] {
  const out: CurriculumItem[] = [];
  for (let i = 0; i < 12; i++) out.push({ id: `s${i}`, length: 100 + i * 30, task: i % 2 ? 'kv' : 'chain' });
  for (let i = 0; i < 8; i++) out.push({ id: `l${i}`, length: 600 + i * 100, task: i % 2 ? 'kv' : 'chain' });
  out.push({ id: 'toolong', length: 5000 });
  return out;
}

function run(c: Curriculum, log: string[][]): void {
  while (!c.done()) {
    if (c.stageDone()) c.advance();
    const batch = c.nextBatch();
    log.push(batch);
    // Rewards: 's0'..'s3' always fail, others succeed half the time by a fixed rule.
    for (const id of batch) c.observe(id, /^s[0-3]$/.test(id) ? [0, 0] : [1, id.length % 2]);
  }
}

test('curriculum: stages, hard carry-over, resume mid-run gives the same batches', () => {
  const cfg = { stages, batchSize: 4, seed: 9, retrospective: { mode: 'hard' as const, weightCap: 8 } };
  const c = new Curriculum(cfg, items());
  assert.deepEqual(c.dropped.map((d) => d.id), ['toolong']);
  const full: string[][] = [];
  run(c, full);
  assert.equal(full.length, 7);
  for (const b of full.slice(0, 3)) for (const id of b) assert.match(id, /^s/);
  // Stage 2 pool = its bucket + stage-1 records that were seen with mean reward 0.
  const carried = c.state().carried.map((x) => x.id);
  const seen0 = new Set(full.slice(0, 3).flat().filter((id) => /^s[0-3]$/.test(id)));
  assert.deepEqual(new Set(carried), seen0);
  assert.ok(carried.length > 0);

  // Interrupt after 2 steps and after 5 (inside stage 2); resume from JSON state.
  for (const cut of [2, 3, 5]) {
    const a = new Curriculum(cfg, items());
    const log: string[][] = [];
    for (let s = 0; s < cut; s++) {
      if (a.stageDone()) a.advance();
      const b = a.nextBatch();
      log.push(b);
      for (const id of b) a.observe(id, /^s[0-3]$/.test(id) ? [0, 0] : [1, id.length % 2]);
    }
    const dir = tempDir('longrl-cur-');
    saveCurriculumState(join(dir, 'c.json'), a.state());
    const b = new Curriculum(cfg, items(), loadCurriculumState(join(dir, 'c.json')));
    run(b, log);
    assert.deepEqual(log, full, `cut ${cut}`);
    assert.deepEqual(b.state(), c.state());
  }
});

test('curriculum: off carries nothing; weighted carries with weights; task balance per batch', () => {
  const base = { stages, batchSize: 4, seed: 9 };
  const off = new Curriculum({ ...base, retrospective: { mode: 'off', weightCap: 8 } }, items());
  run(off, []);
  assert.deepEqual(off.state().carried, []);
  const w = new Curriculum({ ...base, retrospective: { mode: 'weighted', weightCap: 5 } }, items());
  run(w, []);
  const carried = w.state().carried;
  assert.ok(carried.length > 0);
  for (const x of carried) assert.equal(x.weight, x.meanReward === 0 ? 5 : Math.min(5, 1 / x.meanReward));
  const tb = new Curriculum({ ...base, taskBalance: { mode: 'even', key: 'task' } }, items());
  const log: string[][] = [];
  run(tb, log);
  const taskOf = new Map(items().map((i) => [i.id, i.task]));
  for (const b of log) assert.equal(b.filter((id) => taskOf.get(id) === 'kv').length, 2);
});

test('curriculum: epochs → steps; empty stage is a UserError', () => {
  const c = new Curriculum({ stages: [{ maxInputTokens: 512, maxOutputTokens: 8, epochs: 2 }], batchSize: 5, seed: 1 }, items());
  assert.equal(c.stageSteps(), Math.ceil((2 * 12) / 5));
  assert.throws(() => new Curriculum({ stages: [{ maxInputTokens: 50, maxOutputTokens: 8, steps: 1 }], batchSize: 5, seed: 1 }, items()), /no records with input length in \(0, 50\]/);
  const two = new Curriculum({ stages, batchSize: 2, seed: 1 }, items());
  two.nextBatch();
  two.advance();
  assert.throws(() => new Curriculum({ stages: [stages[0] as Stage], batchSize: 2, seed: 1 }, items(), two.state()), /stage 1 does not exist in a 1-stage curriculum/);
});
