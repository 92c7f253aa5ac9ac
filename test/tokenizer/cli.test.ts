import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { initModelFolder } from '../../src/model/io/preset-model.ts';
import { loadTokenizer } from '../../src/tokenizer/index.ts';
import { runCliInProcess as runCli } from '../helpers/cli.ts';


test('longrl tokenize: text, text file, messages (with and without generation prompt)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'longrl-tokcli-'));
  const dir = join(root, 'm');
  initModelFolder(dir, 'tiny');
  const tok = loadTokenizer(dir);
  const run = async (...args: string[]) => {
    const r = await runCli(['tokenize', '--tokenizer', dir, ...args]);
    return { status: r.code, out: r.stdout.trim() ? JSON.parse(r.stdout.trim()) : null, err: r.stderr };
  };
  const t = await run('--text', 'Mary went to the kitchen. 求解');
  assert.equal(t.status, 0, t.err);
  assert.deepEqual(t.out, { text: 'Mary went to the kitchen. 求解', ids: tok.encode('Mary went to the kitchen. 求解') });
  const f = join(root, 'doc.txt');
  writeFileSync(f, 'line one\nline two\n');
  assert.deepEqual((await run('--text-file', f)).out, { text: 'line one\nline two\n', ids: tok.encode('line one\nline two\n') });
  const mf = join(root, 'm.json');
  writeFileSync(mf, JSON.stringify([{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Where is Mary?' }]));
  const withPrompt = (await run('--messages-file', mf)).out;
  assert.equal(withPrompt.text, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhere is Mary?<|im_end|>\n<|im_start|>assistant\n');
  assert.equal(withPrompt.ids[0], tok.tokenToId('<|im_start|>'));
  assert.deepEqual(withPrompt.ids, tok.encode(withPrompt.text));
  const noPrompt = (await run('--messages-file', mf, '--no-generation-prompt')).out;
  assert.equal(noPrompt.text, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhere is Mary?<|im_end|>\n');
  const think = (await run('--messages-file', mf, '--enable-thinking', 'false')).out;
  assert.ok(think.text.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'));
  // Errors: exit 2 with a message naming the problem.
  const none = await run();
  assert.equal(none.status, 2);
  assert.match(none.err, /exactly one of/);
  writeFileSync(mf, '[{"role": "user"}]');
  const bad = await run('--messages-file', mf);
  assert.equal(bad.status, 2);
  assert.match(bad.err, /message 0/);
  rmSync(root, { recursive: true });
});
