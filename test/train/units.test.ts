import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionFlops, flopModel, forwardFlops, sampleFlops, trainFlops } from '../../src/train/flops.ts';
import { batchAt, lengthBuckets, responseDatum, sftTotalSteps } from '../../src/train/sft.ts';
import { resultRows } from '../../src/train/evaluate.ts';
import { getPreset, presetConfig } from '../../src/model/presets.ts';

const tiny = presetConfig(getPreset('tiny'), { bosTokenId: 0, eosTokenIds: [1] });

test('FLOP model of the tiny preset, worked by hand', () => {
  const m = flopModel(tiny);
  // per layer: q 64·64 + k,v 2·64·32 + o 64·64 + MLP 3·64·176 = 46080; ×2 layers + LM head 1024·64
  assert.equal(m.n, 2 * 46080 + 1024 * 64);
  assert.equal(attentionFlops(m, 0, 10), 2 * 2 * 64 * 10 * 9);
  assert.equal(forwardFlops(m, 10), 2 * 157696 * 10 + 23040);
  assert.equal(trainFlops(m, 10), 3 * forwardFlops(m, 10));
  // One sampled response costs what a forward over prompt + response costs.
  assert.equal(sampleFlops(m, 5, [3]), forwardFlops(m, 8));
  // A group shares the prompt: G responses cost one prefill plus G decodes.
  assert.equal(sampleFlops(m, 5, [3, 3]), 2 * forwardFlops(m, 8) - forwardFlops(m, 5));
});

test('responseDatum masks exactly the response targets', () => {
  const d = responseDatum([10, 11, 12], [20, 21]);
  assert.deepEqual([...d.inputTokens_T], [10, 11, 12, 20]);
  assert.deepEqual([...d.targetTokens_T], [11, 12, 20, 21]);
  assert.deepEqual([...d.mask_T], [0, 0, 1, 1]);
  const doc = responseDatum([], [5, 6, 7]);
  assert.deepEqual([...doc.mask_T], [1, 1]);
});

test('length buckets group similar lengths; batch order is a pure function of (seed, step)', () => {
  const lengths = [50, 10, 40, 20, 30, 60, 15];
  const b = lengthBuckets(lengths, 3);
  assert.deepEqual(b, [[1, 6, 3], [4, 2, 0], [5]]);
  const epoch0 = [0, 1, 2].map((s) => batchAt(b, s, 9, 'sft'));
  assert.deepEqual([...epoch0].sort(), [...b].sort(), 'an epoch visits every bucket once');
  assert.deepEqual(batchAt(b, 4, 9, 'sft'), batchAt(b, 4, 9, 'sft'));
  assert.equal(sftTotalSteps({ epochs: 2, batchSize: 3 }, 7), 5);
  assert.equal(sftTotalSteps({ steps: 11, batchSize: 3 }, 7), 11);
});

test('results rows: percent per length, per task when there are several', () => {
  const rows = resultRows('sft', [
    { id: 'a', length: 256, task: 'kv', score: 1, response: '' },
    { id: 'b', length: 256, task: 'chain', score: 0, response: '' },
    { id: 'c', length: 256, task: 'kv', score: 1, response: '' },
    { id: 'd', length: 512, task: 'kv', score: 0, response: '' },
  ]);
  assert.deepEqual(rows, [
    { model: 'sft', length: 256, accuracy: 66.67, n: 3 },
    { model: 'sft', length: 256, accuracy: 0, n: 1, task: 'chain' },
    { model: 'sft', length: 256, accuracy: 100, n: 2, task: 'kv' },
    { model: 'sft', length: 512, accuracy: 0, n: 1 },
  ]);
});

test('a from-scratch recipe model equals init-model of the preset; shape overrides change only what they name', async () => {
  const { buildInitModel } = await import('../../src/train/recipe.ts');
  const { buildPresetModel } = await import('../../src/model/io/preset-model.ts');
  const { synthTokenizerCorpus } = await import('../../src/data/synth/corpus.ts');
  const a = buildInitModel('tiny', {}, 4);
  const b = buildPresetModel('tiny', { seed: 4, extraTexts: synthTokenizerCorpus() });
  assert.deepEqual(a.config, b.config);
  assert.deepEqual(a.weights.get('model.layers.0.self_attn.q_proj.weight')?.data, b.weights.get('model.layers.0.self_attn.q_proj.weight')?.data);
  const c = buildInitModel('tiny', { numLayers: 3, hiddenSize: undefined }, 4);
  assert.equal(c.config.numLayers, 3);
  assert.equal(c.config.hiddenSize, a.config.hiddenSize);
});

test('repeated-facts pretraining documents: each fact repeated as asked, ordered passages repeat the facts in order', async () => {
  const { repeatedFactsText } = await import('../../src/train/pretrain.ts');
  const { entityPools } = await import('../../src/data/synth/vocab.ts');
  const pool = entityPools().pretrain;
  const o = { tokens: 200, facts: 5, repeatMin: 2, repeatMax: 3, chainProb: 0, factProb: 0.5, orderedProb: 0 };
  const text = repeatedFactsText(3, 7, o, pool);
  assert.equal(repeatedFactsText(3, 7, o, pool), text, 'pure in (seed, index)');
  const facts = text.split('. ').map((s) => s.replace(/\.$/, '')).filter((s) => s.split(' ').length === 2 && pool.keys.includes(s.split(' ')[0]!));
  const counts = new Map<string, number>();
  for (const f of facts) counts.set(f, (counts.get(f) ?? 0) + 1);
  assert.equal(counts.size, 5);
  for (const [f, n] of counts) assert.ok(n >= 2 && n <= 3, `${f} appears ${n} times`);
  const ordered = repeatedFactsText(3, 7, { ...o, orderedProb: 1 }, pool);
  const kv = ordered.split('. ').map((s) => s.replace(/\.$/, '')).filter((s) => s.split(' ').length === 2 && pool.keys.includes(s.split(' ')[0]!));
  assert.equal(kv.length, 10);
  assert.deepEqual(kv.slice(0, 5), kv.slice(5));
});

test('copy pretraining documents: a fact table stated three times in the same order, no filler', async () => {
  const { repeatedFactsText } = await import('../../src/train/pretrain.ts');
  const { entityPools } = await import('../../src/data/synth/vocab.ts');
  const pool = entityPools().pretrain;
  const o = { tokens: 64, facts: 4, repeatMin: 2, repeatMax: 3, chainProb: 0, factProb: 0.5, orderedProb: 0, copyProb: 1 };
  const text = repeatedFactsText(5, 1, o, pool);
  const words = text.replace(/\./g, '').split(' ');
  const links = new Set(['so', 'then', 'again', 'also']);
  const content = words.filter((w) => !links.has(w));
  assert.equal(content.length, 3 * 2 * 4, text);
  assert.deepEqual(content.slice(0, 8), content.slice(8, 16));
  assert.deepEqual(content.slice(0, 8), content.slice(16));
  for (let i = 0; i < 8; i += 2) assert.ok(pool.keys.includes(content[i]!), `${content[i]} is a key`);
  // copyProb 0 leaves the documents of earlier versions unchanged (no extra random draw).
  const plain = { ...o, copyProb: 0 };
  const { copyProb: _drop, ...legacy } = plain;
  assert.equal(repeatedFactsText(5, 1, plain, pool), repeatedFactsText(5, 1, legacy, pool));
});

test('query pretraining documents: each fact once among filler, then all facts again in a new order, within the token budget', async () => {
  const { repeatedFactsText } = await import('../../src/train/pretrain.ts');
  const { entityPools } = await import('../../src/data/synth/vocab.ts');
  const { buildChatTokenizer } = await import('../../src/tokenizer/preset-tokenizer.ts');
  const { synthTokenizerCorpus } = await import('../../src/data/synth/corpus.ts');
  const { tokenizerFromJson } = await import('../../src/tokenizer/load.ts');
  const pool = entityPools().pretrain;
  const built = buildChatTokenizer({ vocabSize: 2048, modelMaxLength: 4096, extraTexts: synthTokenizerCorpus() });
  const tok = tokenizerFromJson(built.tokenizerJson, built.tokenizerConfig);
  const o = { tokens: 128, facts: 6, repeatMin: 2, repeatMax: 3, chainProb: 0, factProb: 0.5, orderedProb: 0, queryProb: 1 };
  let reordered = 0;
  for (let i = 0; i < 20; i++) {
    const text = repeatedFactsText(9, i, o, pool);
    const sentences = text.split('. ').map((s) => s.replace(/\.$/, ''));
    const isFact = (s: string) => s.split(' ').length === 2 && pool.keys.includes(s.split(' ')[0]!);
    const queries = sentences.slice(-6);
    const context = sentences.slice(0, -6);
    assert.ok(queries.every(isFact), `the document ends with the 6 queries: ${text}`);
    const stated = context.filter(isFact);
    assert.equal(stated.length, 6, 'each fact once before the queries');
    assert.deepEqual([...queries].sort(), [...stated].sort(), 'the queries restate exactly the facts');
    assert.ok(context.length > stated.length, 'filler sentences among the facts');
    if (queries.join() !== stated.join()) reordered++;
    // The whole passage, queries included, fits the budget (the datum cuts at tokens).
    const n = tok.encode(' ' + text).length;
    assert.ok(n <= o.tokens && n >= o.tokens - 16, `${n} tokens for a budget of ${o.tokens}`);
  }
  assert.ok(reordered >= 18, `queries come in a new order (${reordered}/20)`);
  // queryProb 0 leaves the documents of earlier versions unchanged (no extra random draw).
  const { queryProb: _drop, ...legacy } = { ...o, queryProb: 0 };
  assert.equal(repeatedFactsText(9, 3, { ...o, queryProb: 0 }, pool), repeatedFactsText(9, 3, legacy, pool));
});

test('gap-copy pretraining documents: the same entities twice, 0..gapMax filler words between', async () => {
  const { gapCopyText } = await import('../../src/train/pretrain.ts');
  const { entityPools } = await import('../../src/data/synth/vocab.ts');
  const pool = entityPools().pretrain;
  const entities = new Set([...pool.keys, ...pool.values]);
  const gaps = new Set<number>();
  for (let i = 0; i < 40; i++) {
    const text = gapCopyText(9, i, { half: 6, gapMax: 12 }, pool);
    assert.equal(gapCopyText(9, i, { half: 6, gapMax: 12 }, pool), text, 'pure in (seed, index)');
    const words = text.split(' ');
    const gap = words.length - 12;
    assert.ok(gap >= 0 && gap <= 12, `gap ${gap}: ${text}`);
    gaps.add(gap);
    assert.deepEqual(words.slice(0, 6), words.slice(6 + gap), text);
    for (const w of words.slice(0, 6)) assert.ok(entities.has(w), `${w} is an entity`);
    for (const w of words.slice(6, 6 + gap)) assert.ok(!entities.has(w), `${w} in the gap is filler`);
  }
  assert.ok(gaps.size >= 8, `the gap length varies: ${[...gaps].join(',')}`);
  assert.equal(gapCopyText(9, 0, { half: 4, gapMax: 0 }, pool).split(' ').length, 8, 'gapMax 0: the copies touch');
});

test('lookup gap documents: facts with distinct keys, 0..gapMax filler words, the same facts in a new order', async () => {
  const { gapCopyText } = await import('../../src/train/pretrain.ts');
  const { entityPools } = await import('../../src/data/synth/vocab.ts');
  const pool = entityPools().pretrain;
  let reordered = 0;
  for (let i = 0; i < 30; i++) {
    const o = { half: 5, gapMax: 20, kind: 'lookup' as const };
    const text = gapCopyText(4, i, o, pool);
    assert.equal(gapCopyText(4, i, o, pool), text, 'pure in (seed, index)');
    const words = text.split(' ');
    const first = words.slice(0, 10);
    const second = words.slice(-10);
    const gap = words.length - 20;
    assert.ok(gap >= 0 && gap <= 20, `gap ${gap}: ${text}`);
    const facts = (ws: string[]) => Array.from({ length: 5 }, (_, f) => `${ws[2 * f]} ${ws[2 * f + 1]}`);
    for (const f of facts(first)) {
      const [k, v] = f.replace(/\.$/, '').split(' ');
      assert.ok(pool.keys.includes(k!) && pool.values.includes(v!) && f.endsWith('.'), `${f} is a compact fact`);
    }
    assert.equal(new Set(facts(first).map((f) => f.split(' ')[0])).size, 5, 'distinct keys');
    assert.deepEqual([...facts(second)].sort(), [...facts(first)].sort(), 'the same facts again');
    if (facts(second).join() !== facts(first).join()) reordered++;
  }
  assert.ok(reordered >= 25, `the restatement is shuffled (${reordered}/30 reordered)`);
});

test('recipe schema: pretrain.copy needs stream documents and stages from step 0 in order', async () => {
  const { PretrainSchema } = await import('../../src/train/config.ts');
  const stream = { kind: 'repeated' as const, stream: true };
  const stages = [{ fromStep: 0, gapMax: 8, share: 1 }, { fromStep: 10, gapMax: 32, share: 0.5 }];
  const ok = PretrainSchema.parse({ steps: 20, documents: stream, copy: { stages } });
  assert.equal(ok.copy?.half, 8);
  assert.equal(PretrainSchema.parse({ steps: 20 }).copy, null);
  const msg = (v: unknown) => { const r = PretrainSchema.safeParse(v); assert.ok(!r.success); return r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '); };
  assert.match(msg({ steps: 20, documents: { kind: 'repeated' }, copy: { stages } }), /copy: pretrain.copy needs documents.kind repeated with stream true/);
  assert.match(msg({ steps: 20, documents: stream, copy: { stages: [{ fromStep: 3, gapMax: 8, share: 1 }] } }), /copy.stages.0.fromStep: .*start with fromStep 0/);
  assert.match(msg({ steps: 20, documents: stream, copy: { stages: [stages[1], stages[0]] } }), /fromStep/);
  assert.match(msg({ steps: 20, documents: stream, copy: { stages: [{ fromStep: 0, gapMax: 8, share: 1.5 }] } }), /copy.stages.0.share/);
});

test('recipe schema: pretrain.lengths needs repeated documents and increasing fromStep from 0; sft.replay parses', async () => {
  const { PretrainSchema, SftSchema } = await import('../../src/train/config.ts');
  const docs = { kind: 'repeated' as const };
  const ok = PretrainSchema.parse({ steps: 10, documents: docs, lengths: [{ fromStep: 0, tokens: 32, facts: 4 }, { fromStep: 5, tokens: 64, facts: 8 }] });
  assert.equal(ok.lengths?.length, 2);
  const msg = (v: unknown) => { const r = PretrainSchema.safeParse(v); assert.equal(r.success, false); return JSON.stringify(r.error?.issues); };
  assert.match(msg({ steps: 10, lengths: [{ fromStep: 0, tokens: 32, facts: 4 }] }), /needs documents.kind repeated/);
  assert.match(msg({ steps: 10, documents: docs, lengths: [{ fromStep: 1, tokens: 32, facts: 4 }] }), /start with fromStep 0/);
  assert.match(msg({ steps: 10, documents: docs, lengths: [{ fromStep: 0, tokens: 32, facts: 4 }, { fromStep: 0, tokens: 64, facts: 8 }] }), /fromStep must increase/);
  assert.equal(SftSchema.parse({ steps: 3 }).replay, null);
  assert.equal(SftSchema.parse({ steps: 3, replay: { documents: 4 } }).replay?.documents, 4);
});

test('recipe schema: stream documents, keepFirst and softmax corpus are checked together', async () => {
  const { PretrainSchema } = await import('../../src/train/config.ts');
  const msg = (v: unknown) => { const r = PretrainSchema.safeParse(v); assert.equal(r.success, false); return JSON.stringify(r.error?.issues); };
  assert.match(msg({ steps: 1, documents: { kind: 'synth', stream: true } }), /stream needs documents.kind repeated/);
  assert.match(msg({ steps: 1, documents: { kind: 'repeated', stream: true }, softmax: 'corpus' }), /fixed document pool/);
  assert.match(msg({ steps: 1, documents: { kind: 'repeated' }, keepFirst: 0.5 }), /keepFirst needs lengths and documents.stream/);
  assert.equal(PretrainSchema.parse({ steps: 1 }).beta2, 0.999);
  assert.match(msg({ steps: 1, documents: { kind: 'repeated', queryProb: 1.5 } }), /queryProb/);
  assert.equal(PretrainSchema.parse({ steps: 1, documents: { kind: 'repeated', queryProb: 0.5 } }).documents.queryProb, 0.5);
  assert.equal(PretrainSchema.parse({ steps: 1 }).documents.queryProb, 0);
});
