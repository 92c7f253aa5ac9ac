import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/util/rng.ts';
import { normalizeAnswer, pySplit } from '../../src/util/pytext.ts';
import { readJsonl, JsonlWriter } from '../../src/util/jsonl.ts';
import { writeFileAtomicStream, writeJsonAtomic } from '../../src/util/fsx.ts';
import { tempDir } from '../temp-dir.ts';

test('Rng: same seed same stream; state round trip continues exactly', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const xs = Array.from({ length: 100 }, () => a.nextU32());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b.nextU32()));
  const st = a.getState();
  const ya = Array.from({ length: 10 }, () => a.float());
  const c = new Rng(st);
  assert.deepEqual(ya, Array.from({ length: 10 }, () => c.float()));
  assert.notDeepEqual(new Rng(1).nextU32(), new Rng(2).nextU32());
});

test('Rng: int is in range and roughly uniform; float in [0,1)', () => {
  const r = new Rng(7);
  const counts = new Array(5).fill(0);
  for (let i = 0; i < 50000; i++) counts[r.int(5)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, `count ${c}`);
  for (let i = 0; i < 1000; i++) {
    const f = r.float();
    assert.ok(f >= 0 && f < 1);
  }
  assert.throws(() => r.int(0));
});

test('normalizeAnswer follows SQuAD normalize_answer with Python semantics', () => {
  assert.equal(normalizeAnswer('The  Eiffel Tower!'), 'eiffel tower');
  assert.equal(normalizeAnswer('an apple, a pear'), 'apple pear');
  assert.equal(normalizeAnswer('théatre the'), 'théatre');
  // Unicode punctuation is kept (string.punctuation is ASCII only)
  assert.equal(normalizeAnswer('it’s “x”'), 'it’s “x”');
  // "the" inside a Unicode word is not an article (Python \b is Unicode-aware)
  assert.equal(normalizeAnswer('éthe'), 'éthe');
  assert.equal(normalizeAnswer('the'), '');
  // \ufeff is not whitespace for Python split; \x1c is
  assert.deepEqual(pySplit('a\x1cb\ufeffc'), ['a', 'b\ufeffc']);
});

test('readJsonl names file and line of a malformed line; torn tail can be skipped', () => {
  const dir = tempDir('longrl-');
  const p = join(dir, 'x.jsonl');
  writeFileSync(p, '{"a":1}\n{"a":\n{"a":3}\n');
  assert.throws(() => readJsonl(p), /x\.jsonl:2: malformed JSON/);
  writeFileSync(p, '{"a":1}\n{"a":2}\n{"a":');
  assert.deepEqual(readJsonl(p, { allowTornTail: true }).map((l) => l.value), [{ a: 1 }, { a: 2 }]);
  const w = new JsonlWriter(p);
  w.write({ a: 3 });
  w.close();
  assert.equal(readFileSync(p, 'utf8'), '{"a":1}\n{"a":2}\n{"a":3}\n');
  writeJsonAtomic(join(dir, 'sub', 'y.json'), { b: 2 });
  assert.equal(JSON.parse(readFileSync(join(dir, 'sub', 'y.json'), 'utf8')).b, 2);
});

test('writeFileAtomicStream writes the chunks in order; a failing fill leaves the old file and no temporary', () => {
  const dir = tempDir('longrl-fsx-');
  const path = join(dir, 'sub', 'w.bin');
  writeFileAtomicStream(path, (put) => {
    put(Uint8Array.of(1, 2));
    put(new Uint8Array(0));
    put(Buffer.from('xyz'));
  });
  assert.deepEqual([...readFileSync(path)], [1, 2, 0x78, 0x79, 0x7a]);
  assert.throws(() => writeFileAtomicStream(path, (put) => {
    put(Uint8Array.of(9));
    throw new Error('boom');
  }), /boom/);
  assert.deepEqual([...readFileSync(path)], [1, 2, 0x78, 0x79, 0x7a]);
  assert.deepEqual(readdirSync(join(dir, 'sub')), ['w.bin']);
});
