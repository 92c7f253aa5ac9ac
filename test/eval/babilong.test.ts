/**
 * BABILong scorer on gemini-3-flash-preview's released predictions (qa1–qa5, 0k–1M):
 * the correct counts below come from a Python transcription of babilong `metrics.py`
 * `compare_answers` run over the same CSV files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { babilongCorrect, babilongPreprocess, BABILONG_TASK_LABELS } from '../../src/eval/index.ts';

const DIR = new URL('../../../shared/data/babilong_evals/gemini-3-flash-preview/', import.meta.url);

/** RFC 4180 CSV (pandas `to_csv`): quoted fields may hold commas, quotes and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

const WANT: Record<string, [number, number]> = {"qa1_0k": [1000, 1000], "qa1_128k": [66, 100], "qa1_16k": [913, 1000], "qa1_1M": [57, 100], "qa1_1k": [999, 1000], "qa1_2k": [998, 1000], "qa1_32k": [772, 1000], "qa1_4k": [995, 1000], "qa1_512k": [61, 100], "qa1_64k": [75, 100], "qa1_8k": [997, 1000], "qa2_0k": [982, 999], "qa2_128k": [31, 100], "qa2_16k": [590, 999], "qa2_1M": [28, 100], "qa2_1k": [946, 999], "qa2_2k": [927, 999], "qa2_32k": [497, 999], "qa2_4k": [841, 999], "qa2_512k": [35, 100], "qa2_64k": [44, 100], "qa2_8k": [686, 999], "qa3_0k": [869, 999], "qa3_128k": [21, 100], "qa3_16k": [449, 999], "qa3_1M": [30, 100], "qa3_1k": [739, 862], "qa3_2k": [806, 998], "qa3_32k": [297, 999], "qa3_4k": [699, 999], "qa3_512k": [21, 100], "qa3_64k": [27, 100], "qa3_8k": [548, 999], "qa4_0k": [999, 999], "qa4_128k": [62, 100], "qa4_16k": [877, 999], "qa4_1M": [71, 100], "qa4_1k": [993, 999], "qa4_2k": [992, 999], "qa4_32k": [788, 999], "qa4_4k": [973, 999], "qa4_512k": [74, 100], "qa4_64k": [74, 100], "qa4_8k": [967, 999], "qa5_0k": [973, 999], "qa5_128k": [62, 100], "qa5_16k": [892, 999], "qa5_1M": [67, 100], "qa5_1k": [971, 997], "qa5_2k": [957, 999], "qa5_32k": [823, 999], "qa5_4k": [941, 999], "qa5_512k": [67, 100], "qa5_64k": [77, 100], "qa5_8k": [916, 999]};

test('BABILong: gemini-3-flash-preview correct counts on all 55 qa1–qa5 files', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.csv'));
  assert.equal(files.length, 55);
  for (const f of files) {
    const key = f.split('_instruction')[0] as string;
    const task = key.split('_')[0] as string;
    const [header, ...rows] = parseCsv(readFileSync(new URL(f, DIR), 'utf8'));
    assert.deepEqual(header, ['', 'target', 'output', 'question']);
    let correct = 0;
    for (const r of rows) if (babilongCorrect(r[1] as string, r[2] ?? '', r[3] as string, BABILONG_TASK_LABELS[task] as string[])) correct++;
    assert.deepEqual([correct, rows.length], WANT[key], key);
  }
});

test('BABILong: hand-made cases', () => {
  const L = BABILONG_TASK_LABELS['qa1'] as string[];
  assert.equal(babilongCorrect('hallway', 'The most recent location of John is hallway.', 'Where is John?', L), true);
  assert.equal(babilongCorrect('hallway', 'hallway or kitchen', 'Where is John?', L), false); // two labels
  assert.equal(babilongCorrect('hallway', 'First the kitchen. Then hallway.', 'Where?', L), false); // first sentence only
  // Labels in the question are never targets: "kitchen" is ignored here.
  assert.equal(babilongCorrect('hallway', 'from the kitchen to the hallway', 'Where was John before the kitchen?', L), true);
  // The reference's cut at 'Question' never fires after lower-casing.
  assert.equal(babilongPreprocess('Hallway Question: x'), 'hallway question: x');
  // qa8-style comma lists: every part, and exactly that many labels.
  const L8 = ['apple', 'football', 'milk', 'nothing'];
  assert.equal(babilongCorrect('apple,milk', 'milk and apple', 'What is Mary carrying?', L8), true);
  assert.equal(babilongCorrect('apple,milk', 'milk, apple and football', 'What is Mary carrying?', L8), false);
});
