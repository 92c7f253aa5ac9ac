import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createJudge } from '../../src/reward/judge.ts';
import { readRecords } from '../../src/data/io/index.ts';
import { distill, createOpenAITeacher, journalPath, summaryPath, type DistillOptions } from '../../src/distill/index.ts';
import type { DocQARecord } from '../../src/data/record.ts';
import { whitespaceChatCounter, whitespaceCounter } from '../../src/data/tokens.ts';
import { recordSeed } from '../../src/data/mine.ts';
import { pySplit } from '../../src/util/pytext.ts';
import { startTeacherServer, type Plan, type ReplySpec } from './teacher-server.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'longrl-distill-'));
}

function rec(i: number, answer: string, dataSource = 'musique_v1', docWords = 20): DocQARecord {
  return { id: `r${i}`, data_source: dataSource, document: `Fact ${i}: ${'word '.repeat(docWords)}end.`, question: `q${i}`, answer };
}

const say = (a: string): string => `Therefore, the answer is ${a}.`;
const right = (a: string, reasoning = 'reasoning', format: ReplySpec['format'] = 'think'): ReplySpec => ({ reasoning, answer: say(a), format });
const wrong = (format: ReplySpec['format'] = 'think'): ReplySpec => ({ reasoning: 'wrong path', answer: say('Nowhere'), format });

function readLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function withServer<T>(plan: (q: string) => Plan, fn: (url: string, s: Awaited<ReturnType<typeof startTeacherServer>>) => Promise<T>): Promise<T> {
  const s = await startTeacherServer(plan);
  try {
    return await fn(s.url, s);
  } finally {
    await s.close();
  }
}

function opts(url: string, records: DocQARecord[], out: string, extra: Partial<DistillOptions> = {}): DistillOptions {
  return {
    teacher: createOpenAITeacher({ url, model: 'test-teacher', backoffBaseMs: 1, concurrency: 4 }),
    records, out, n: 5, keep: 1, counter: whitespaceCounter, concurrency: 4, ...extra,
  };
}

const PLANS: Record<string, Plan> = {
  // two correct (long via reasoning_content, short via <think>), one wrong, one cut off, one without reasoning
  q0: { replies: [right('Paris', 'long '.repeat(40), 'rc'), right('Paris', 'short reasoning'), wrong('close'), { ...right('Paris', 'x'), finish: 'length' }, right('Paris', '', 'none')] },
  q1: { replies: [wrong(), wrong('rc'), wrong('close'), wrong(), wrong()] },
  // only the closing tag (the chat template opened the block); DocMath numeric rule
  q2: { replies: [wrong('close'), right('42', 'reason two', 'close'), wrong(), wrong(), wrong()] },
};

test('acceptance filtering: only correct, uncut replies with reasoning; shortest kept; all reasoning formats', async () => {
  const dir = tmp();
  try {
    const records = [rec(0, 'Paris'), rec(1, 'Paris'), rec(2, '42', 'docmath_v1')];
    await withServer((q) => PLANS[q] as Plan, async (url) => {
      const out = join(dir, 'keep1.jsonl');
      const { summary, written } = await distill(opts(url, records, out));
      assert.equal(written, 2);
      const lines = readLines(out);
      assert.deepEqual(lines.map((l) => l['id']), ['r0', 'r2']);
      const [a, b] = lines as [Record<string, unknown>, Record<string, unknown>];
      assert.equal(a['trace'], '<think>\nshort reasoning\n</think>\n\nTherefore, the answer is Paris.');
      assert.equal(a['answer'], 'Paris');
      assert.equal(a['document'], records[0]!.document);
      assert.deepEqual(a['teacher'], { name: 'test-teacher', kind: 'openai', source_id: 'r0', sample: 1, reasoning_format: 'think', finish_reason: 'stop' });
      const sa = a['scores'] as Record<string, unknown>;
      assert.equal(sa['acc'], true);
      assert.equal(sa['rule'], 1);
      assert.equal(sa['extracted'], 'Paris');
      assert.equal(sa['correct_of_sampled'], 2);
      assert.equal(sa['sampled'], 5);
      assert.equal(sa['trace_length'], pySplit(a['trace'] as string).length);
      assert.equal(b['trace'], '<think>\nreason two\n</think>\n\nTherefore, the answer is 42.');
      assert.equal((b['teacher'] as Record<string, unknown>)['reasoning_format'], 'think');

      assert.equal(summary.total.tried, 3);
      assert.equal(summary.total.kept_records, 2);
      assert.equal(summary.total.acceptance, 2 / 3);
      assert.deepEqual(summary.total.outcomes, { correct: 3, incorrect: 10, truncated: 1, no_reasoning: 1, no_answer: 0 });
      assert.equal(summary.by_data_source['musique_v1']!.acceptance, 0.5);
      assert.equal(summary.by_data_source['docmath_v1']!.acceptance, 1);
      assert.equal(summary.by_data_source['docmath_v1']!.response_acceptance, 0.2);
      const lens = [sa['trace_length'] as number, (b['scores'] as Record<string, number>)['trace_length'] as number].sort((x, y) => x - y);
      assert.equal(summary.trace_length.max, lens[1]);
      assert.equal(summary.trace_length.p50, (lens[0]! + lens[1]!) / 2);
      assert.equal(summary.trace_length.unit, 'tokens');
      // usage as the server billed it: prompt words per request, completion words of the replies
      assert.ok(summary.tokens.prompt > 0 && summary.tokens.completion > 0);
      assert.deepEqual(JSON.parse(readFileSync(summaryPath(out), 'utf8')), JSON.parse(JSON.stringify(summary)));

      // --keep 2: both correct ones, shorter first; the second gets a derived id
      const out2 = join(dir, 'keep2.jsonl');
      await distill(opts(url, records, out2, { keep: 2, withPrompt: true }));
      const l2 = readLines(out2);
      // the output reads back as DocQA records (teacher and scores pass through)
      const back = await readRecords(out2);
      assert.deepEqual(back.map((r) => [r.id, typeof r.trace, typeof r['teacher'], typeof r['scores']]), [['r0', 'string', 'object', 'object'], ['r0#1', 'string', 'object', 'object'], ['r2', 'string', 'object', 'object']]);
      assert.deepEqual(l2.map((l) => l['id']), ['r0', 'r0#1', 'r2']);
      assert.equal(l2[1]!['trace'], `<think>\n${'long '.repeat(40).trim()}\n</think>\n\nTherefore, the answer is Paris.`);
      assert.equal((l2[1]!['teacher'] as Record<string, unknown>)['reasoning_format'], 'reasoning_content');
      assert.deepEqual(l2[0]!['prompt'], [{ role: 'user', content: `Please read the following text and answer the question below.\n\n<text>\n${records[0]!.document}\n</text>\n\nq0\n\nFormat your response as follows: "Therefore, the answer is (insert answer here)".` }]);
      assert.equal(lines[0]!['prompt'], undefined, 'no prompt by default');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('budget filtering: records over --max-input-tokens are never sent to the teacher', async () => {
  const dir = tmp();
  try {
    const records = [rec(0, 'Paris', 'musique_v1', 10), rec(1, 'Paris', 'musique_v1', 500), rec(2, 'Paris', 'musique_v1', 60)];
    const plan = (): Plan => ({ replies: [right('Paris')] });
    await withServer(plan, async (url, s) => {
      const out = join(dir, 'o.jsonl');
      const { summary } = await distill(opts(url, records, out, { n: 1, counter: whitespaceChatCounter, maxInputTokens: 100 }));
      assert.deepEqual([...s.perQuestion.keys()].sort(), ['q0', 'q2']);
      assert.equal(summary.over_budget, 1);
      assert.equal(summary.total.tried, 2);
      assert.deepEqual(readLines(out).map((l) => l['id']), ['r0', 'r2']);
    });
    // without a tokenizer the budget cannot be counted
    await assert.rejects(
      distill({ ...opts('http://127.0.0.1:9', records, join(dir, 'x.jsonl'), { maxInputTokens: 100 }), counter: undefined }),
      /needs a tokenizer/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('faults: 429, 500, dropped connection, malformed JSON and time-outs are retried and counted; a 400 fails the record, a rerun retries only it', async () => {
  const dir = tmp();
  try {
    const faults: Record<string, Plan['fault']> = {
      q0: { mode: '429', times: 2 }, q1: { mode: '500', times: 1 }, q2: { mode: 'drop', times: 1 },
      q3: { mode: 'malformed', times: 1 }, q4: { mode: '400', times: 1 }, q5: { mode: 'slow', times: 1 },
    };
    const records = [0, 1, 2, 3, 4, 5, 6].map((i) => rec(i, 'Paris'));
    const out = join(dir, 'o.jsonl');
    await withServer((q) => ({ replies: [right('Paris')], ...(faults[q] ? { fault: faults[q] } : {}) }), async (url, s) => {
      const progress: [number, number, string][] = [];
      const o = opts(url, records, out, {
        n: 1, teacher: createOpenAITeacher({ url, model: 'test-teacher', backoffBaseMs: 1, concurrency: 4, timeoutMs: 1500 }),
        onProgress: (d, t, note) => progress.push([d, t, note]),
      });
      const { summary } = await distill(o);
      assert.deepEqual(progress.map((p) => p[0]), [1, 2, 3, 4, 5, 6, 7]);
      assert.ok(progress.every((p) => p[1] === 7));
      assert.equal(progress[6]![2], 'kept 6, failed 1');
      const c = summary.counters;
      assert.equal(c['teacher/http_429'], 2);
      assert.equal(c['teacher/retry_after'], 2);
      assert.equal(c['teacher/http_5xx'], 1);
      assert.equal(c['teacher/connection_errors'], 1);
      assert.equal(c['teacher/malformed'], 1);
      assert.equal(c['teacher/http_4xx'], 1);
      assert.equal(c['teacher/timeouts'], 1);
      assert.equal(c['teacher/retries'], 6);
      assert.equal(c['teacher/errors'], 1);
      assert.equal(c['teacher/requests'], 13);
      assert.equal(s.requests(), 13);
      assert.equal(summary.failed, 1);
      assert.deepEqual(readLines(out).map((l) => l['id']), ['r0', 'r1', 'r2', 'r3', 'r5', 'r6']);
      const attempts = new Map(readLines(journalPath(out)).filter((l) => l['id']).map((l) => [l['id'], l['attempts']]));
      assert.deepEqual(Object.fromEntries(attempts), { r0: 3, r1: 2, r2: 2, r3: 2, r5: 2, r6: 1 });
    });
    // The rerun (teacher healthy now) asks only for the failed record.
    await withServer(() => ({ replies: [right('Paris')] }), async (url, s) => {
      const { summary } = await distill(opts(url, records, out, { n: 1 }));
      assert.deepEqual(s.log, ['q4']);
      assert.equal(summary.resumed, 6);
      assert.equal(summary.asked_this_run, 1);
      assert.equal(summary.failed, 0);
      assert.equal(summary.total.tried, 7);
      assert.deepEqual(readLines(out).map((l) => l['id']), ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6']);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('output order is input order whatever the completion order; same data, same bytes', async () => {
  const dir = tmp();
  try {
    const records = Array.from({ length: 8 }, (_, i) => rec(i, `City${i}`));
    // record 0 answers last: completion order is the reverse of input order
    const plan = (q: string): Plan => {
      const i = Number(q.slice(1));
      return { replies: [wrong(), right(`City${i}`, `because ${i}`), right(`City${i}`, `a longer path for ${i}`, 'rc')], delayMs: (8 - i) * 25 };
    };
    await withServer(plan, async (url, s) => {
      const a = join(dir, 'a.jsonl');
      const b = join(dir, 'b.jsonl');
      await distill(opts(url, records, a, { n: 3, concurrency: 8 }));
      assert.ok(s.maxConcurrent() > 1, 'requests ran concurrently');
      const journalIds = readLines(journalPath(a)).filter((l) => l['id']).map((l) => l['id']);
      assert.notDeepEqual(journalIds, records.map((r) => r.id), 'completion order differs from input order');
      await distill(opts(url, records, b, { n: 3, concurrency: 1 }));
      assert.deepEqual(readLines(a).map((l) => l['id']), records.map((r) => r.id));
      assert.equal(readFileSync(a, 'utf8'), readFileSync(b, 'utf8'));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a server that ignores n is topped up to K replies, each request with the next seed', async () => {
  const dir = tmp();
  try {
    const records = [rec(0, 'Paris')];
    await withServer(() => ({ replies: [wrong(), wrong(), right('Paris')], ignoreN: true }), async (url, s) => {
      const { summary } = await distill(opts(url, records, join(dir, 'o.jsonl'), { n: 3, seed: 7 }));
      assert.equal(s.requests(), 3);
      assert.equal(summary.counters['teacher/top_ups'], 2);
      const base = recordSeed(7, 'r0');
      assert.deepEqual(s.bodies.map((b) => [b['n'], b['seed']]), [[3, base], [2, base + 1], [1, base + 2]]);
      assert.equal(s.bodies[0]!['max_tokens'], 10000);
      assert.equal(summary.total.kept, 1);
      assert.equal(summary.total.outcomes.correct, 1);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('resuming with other sampling settings is refused, naming the progress file', async () => {
  const dir = tmp();
  try {
    const records = [rec(0, 'Paris')];
    const out = join(dir, 'o.jsonl');
    await withServer(() => ({ replies: [right('Paris'), right('Paris')] }), async (url) => {
      await distill(opts(url, records, out, { n: 1 }));
      await assert.rejects(distill(opts(url, records, out, { n: 2 })), (e: Error) => e.name === 'UserError' && /progress\.jsonl:1: .*n: 1 there, 2 now/.test(e.message));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('records whose data_source no verifier handles are refused before the teacher is asked', async () => {
  await withServer(() => ({ replies: [right('Paris')] }), async (url, s) => {
    const records = [rec(0, 'Paris'), rec(1, 'Paris', 'mystery_v1')];
    await assert.rejects(distill(opts(url, records, join(tmpdir(), 'never.jsonl'))), /record "r1": .*mystery_v1/);
    assert.equal(s.requests(), 0);
  });
});

test('hybrid reward: the judge accepts an answer the rule misses; rule-correct replies are not judged', async () => {
  const dir = tmp();
  try {
    const records = [rec(0, 'New York City'), rec(1, 'Paris')];
    const plans: Record<string, Plan> = {
      q0: { replies: [right('NYC', 'it is the big apple'), right('Boston', 'hmm')] },
      q1: { replies: [right('Paris'), right('Paris', 'again')] },
    };
    const same = (a: string, b: string): boolean => [a, b].sort().join('|') === 'NYC|New York City';
    const s = await startTeacherServer((q) => plans[q] as Plan, same);
    try {
      const judge = createJudge({ url: s.url, model: 'judge' });
      const out = join(dir, 'o.jsonl');
      const { summary } = await distill(opts(s.url, records, out, { n: 2, judge }));
      judge.close();
      assert.equal(s.judgeRequests(), 2, 'only the two rule-0 replies of r0 go to the judge');
      const lines = readLines(out);
      assert.deepEqual(lines.map((l) => l['id']), ['r0', 'r1']);
      const sc = lines[0]!['scores'] as Record<string, unknown>;
      assert.deepEqual([sc['rule'], sc['judge'], sc['score'], sc['extracted']], [0, 1, 1, 'NYC']);
      assert.equal(summary.counters['judge/requests'], 2);
      assert.equal(summary.total.outcomes.correct, 3);
    } finally {
      await s.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
