import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readRecords } from '../../src/data/io/index.ts';
import { promptMessages } from '../../src/data/prompt.ts';
import { loadTokenizer } from '../../src/tokenizer/index.ts';
import { main } from '../../src/cli/main.ts';
import { distill, createOpenAITeacher } from '../../src/distill/index.ts';
import { startTeacherServer } from './teacher-server.ts';

const shared = fileURLToPath(new URL('../../../shared/data/', import.meta.url));

test('real MiniLongBench MuSiQue prompts: budget on real lengths, gold-answering replies kept, the recorded model predictions rejected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'longrl-distill-real-'));
  try {
    const records = await readRecords(join(shared, 'longbench/minilongbench_example/MiniLongBench_musique.json'));
    assert.equal(records.length, 7);
    const tinyDir = join(dir, 'tiny');
    const write = process.stdout.write.bind(process.stdout);
    // keep init-model's JSON line out of the test report (binary chunks are the runner's own)
    process.stdout.write = ((c: string | Uint8Array, ...rest: unknown[]) => (typeof c === 'string' ? true : (write as (...a: unknown[]) => boolean)(c, ...rest))) as typeof process.stdout.write;
    try {
      assert.equal(await main(['init-model', '--preset', 'tiny', '--out', tinyDir]), 0);
    } finally {
      process.stdout.write = write;
    }
    const tok = loadTokenizer(tinyDir);
    const counter = { encode: (t: string) => tok.encode(t), renderChat: (m: { role: string; content: string }[]) => tok.applyChatTemplate(m, { addGenerationPrompt: true }) };
    // independent count: the prompt as the chat template renders it
    const lengths = records.map((r) => tok.encode(tok.applyChatTemplate(promptMessages(r), { addGenerationPrompt: true })).length);
    const budget = [...lengths].sort((a, b) => a - b)[3] as number;
    const expectIn = records.filter((_, i) => (lengths[i] as number) <= budget);

    // The teacher answers even records with their first gold answer, odd ones with the model's recorded prediction.
    const byContent = new Map(records.map((r, i) => [r.document, i]));
    const server = await startTeacherServer((_q, content) => {
      const i = byContent.get(content) as number;
      const r = records[i]!;
      const answer = i % 2 === 0 ? `Therefore, the answer is ${r.answers?.[0] ?? r.answer}.` : String(r.metadata?.['prediction'] ?? '');
      return { replies: [{ reasoning: `Reading document ${i} for the hops.`, answer, format: 'think' }] };
    });
    try {
      const out = join(dir, 'sft.jsonl');
      const { summary } = await distill({
        teacher: createOpenAITeacher({ url: server.url, model: 'r1' }), records, n: 1, maxInputTokens: budget, counter, out,
      });
      assert.equal(server.requests(), expectIn.length);
      assert.equal(summary.over_budget, records.length - expectIn.length);
      const wantKept = expectIn.filter((r) => records.indexOf(r) % 2 === 0).map((r) => r.id);
      const got = readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; trace: string; scores: { trace_length: number } });
      assert.deepEqual(got.map((g) => g.id), wantKept);
      for (const g of got) assert.equal(g.scores.trace_length, tok.encode(g.trace).length);
      assert.equal(summary.by_data_source['longbench_musique']!.tried, expectIn.length);
      assert.equal(summary.total.kept, wantKept.length);
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
