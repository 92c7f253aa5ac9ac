import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  readSafetensorsFile, readModelWeights, writeSafetensorsFile, writeModelWeights, encodeSafetensors, type Tensor,
} from '../../src/model/safetensors.ts';
import { floatToHalf, halfToFloat } from '../../src/model/io/dtype.ts';
import { UserError } from '../../src/util/errors.ts';

const ORACLES = fileURLToPath(new URL('../../../shared/data/model-oracles/', import.meta.url));
const F32_FILE = join(ORACLES, 'qwen2-tiny', 'model.safetensors');
const BF16_FILE = join(ORACLES, 'qwen2-tiny-bf16', 'model.safetensors');

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}
function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'longrl-st-'));
}
function assertSameTensors(a: Map<string, Tensor>, b: Map<string, Tensor>): void {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  for (const [name, t] of a) {
    const u = b.get(name) as Tensor;
    assert.deepEqual(u.shape, t.shape, name);
    assert.ok(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength).equals(
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)), `${name} bits differ`);
  }
}

test('oracle files have the sha256 their README states', () => {
  assert.equal(sha256(F32_FILE), 'ad5fd33fb9fe4704665b67f5b52847266f494ffeeb5e0127274d465429471779');
  assert.equal(sha256(BF16_FILE), '1151f53053db03a17f9fcdad8c70f732405769bbd1b342ddd90ce1de1425674d');
});

test('reads the F32 oracle: 26 HF-named tensors with the README shapes', () => {
  const m = readSafetensorsFile(F32_FILE);
  assert.equal(m.size, 26);
  assert.deepEqual(m.get('model.embed_tokens.weight')?.shape, [512, 64]);
  assert.deepEqual(m.get('model.layers.1.self_attn.k_proj.weight')?.shape, [32, 64]);
  assert.deepEqual(m.get('model.layers.0.mlp.down_proj.weight')?.shape, [64, 176]);
  assert.deepEqual(m.get('model.norm.weight')?.shape, [64]);
  assert.equal(m.has('lm_head.weight'), false);
  // README: norm weights are uniform in [0.9, 1.1], matrices std 0.02.
  const norm = m.get('model.norm.weight')!.data;
  for (const x of norm) assert.ok(x >= 0.9 && x <= 1.1);
});

test('BF16 oracle: values are the F32 oracle rounded to bfloat16', () => {
  const a = readSafetensorsFile(F32_FILE);
  const b = readSafetensorsFile(BF16_FILE);
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  for (const [name, t] of a) {
    const u = b.get(name)!;
    for (let i = 0; i < t.data.length; i++) {
      f[0] = u.data[i]!;
      assert.equal(bits[0]! & 0xffff, 0, 'bf16 values have zero low bits');
      assert.ok(Math.abs(u.data[i]! - t.data[i]!) <= Math.abs(t.data[i]!) * 2 ** -8, name);
    }
  }
});

test('writing the oracles back reproduces the files byte for byte (F32 and BF16)', () => {
  const dir = tmp();
  for (const [src, dt] of [[F32_FILE, 'F32'], [BF16_FILE, 'BF16']] as const) {
    const out = join(dir, `${dt}.safetensors`);
    writeSafetensorsFile(out, readSafetensorsFile(src), dt);
    assert.ok(readFileSync(out).equals(readFileSync(src)), dt);
  }
  rmSync(dir, { recursive: true });
});

test('write → read round trip is exact for F32, BF16, F16 (values representable in the dtype)', () => {
  const dir = tmp();
  const f32 = readSafetensorsFile(F32_FILE);
  writeSafetensorsFile(join(dir, 'a.safetensors'), f32, 'F32', { note: 'x' });
  assertSameTensors(f32, readSafetensorsFile(join(dir, 'a.safetensors')));
  const bf = readSafetensorsFile(BF16_FILE);
  writeSafetensorsFile(join(dir, 'b.safetensors'), bf, 'BF16');
  assertSameTensors(bf, readSafetensorsFile(join(dir, 'b.safetensors')));
  // F16: write once (rounds), then a second round trip is exact.
  writeSafetensorsFile(join(dir, 'c.safetensors'), f32, 'F16');
  const h1 = readSafetensorsFile(join(dir, 'c.safetensors'));
  writeSafetensorsFile(join(dir, 'd.safetensors'), h1, 'F16');
  assertSameTensors(h1, readSafetensorsFile(join(dir, 'd.safetensors')));
  const e = f32.get('model.embed_tokens.weight')!.data;
  const eh = h1.get('model.embed_tokens.weight')!.data;
  for (let i = 0; i < e.length; i++) assert.ok(Math.abs(eh[i]! - e[i]!) <= Math.max(Math.abs(e[i]!) * 2 ** -11, 2 ** -25));
  rmSync(dir, { recursive: true });
});

test('F16 conversion: round to nearest even, subnormals, overflow, specials', () => {
  assert.equal(floatToHalf(1), 0x3c00);
  assert.equal(floatToHalf(-2), 0xc000);
  assert.equal(floatToHalf(65504), 0x7bff);
  assert.equal(floatToHalf(65520), 0x7c00); // rounds up to Inf
  assert.equal(floatToHalf(1e9), 0x7c00);
  assert.equal(floatToHalf(2 ** -24), 0x0001);
  assert.equal(floatToHalf(2 ** -25), 0x0000); // tie to even (0)
  assert.equal(floatToHalf(3 * 2 ** -25), 0x0002); // tie to even (2)
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00); // tie → even
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02);
  assert.ok(Number.isNaN(halfToFloat(floatToHalf(NaN))));
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.equal(halfToFloat(0x0400), 2 ** -14);
  for (let h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue;
    assert.equal(floatToHalf(halfToFloat(h)), h);
  }
});

test('BF16 conversion rounds to nearest even and keeps NaN', () => {
  const dir = tmp();
  const vals = new Float32Array([1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, NaN, -Infinity, 3.4e38]);
  const p = join(dir, 'x.safetensors');
  writeSafetensorsFile(p, new Map([['x', { shape: [vals.length], data: vals }]]), 'BF16');
  const back = readSafetensorsFile(p).get('x')!.data;
  assert.equal(back[0], 1);
  assert.equal(back[1], 1 + 2 * 2 ** -7);
  assert.equal(back[2], 1 + 2 ** -7);
  assert.ok(Number.isNaN(back[3]!));
  assert.equal(back[4], -Infinity);
  assert.ok(Number.isFinite(back[5]!) || back[5] === Infinity);
  rmSync(dir, { recursive: true });
});

test('sharded write with an index, read back exact; stale files removed on re-save', () => {
  const dir = tmp();
  const m = readSafetensorsFile(F32_FILE);
  writeModelWeights(dir, m, { dtype: 'F32', maxShardBytes: 150_000 });
  const files = readdirSync(dir).sort();
  assert.ok(files.includes('model.safetensors.index.json'));
  assert.ok(!files.includes('model.safetensors'));
  const shards = files.filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
  assert.ok(shards.length >= 3, `got ${shards.join(',')}`);
  const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
  assert.equal(index.metadata.total_size, 504680 - 8 - (readFileSync(F32_FILE).readUInt32LE(0)));
  assert.equal(Object.keys(index.weight_map).length, 26);
  assertSameTensors(m, readModelWeights(dir));
  // BF16 shards
  const bdir = tmp();
  const b = readSafetensorsFile(BF16_FILE);
  writeModelWeights(bdir, b, { dtype: 'BF16', maxShardBytes: 60_000 });
  assertSameTensors(b, readModelWeights(bdir));
  // Re-save unsharded: shards and index go away.
  writeModelWeights(dir, m, { dtype: 'F32' });
  assert.deepEqual(readdirSync(dir).sort(), ['model.safetensors']);
  assertSameTensors(m, readModelWeights(dir));
  rmSync(dir, { recursive: true });
  rmSync(bdir, { recursive: true });
});

function expectUserError(fn: () => unknown, path: string, re: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UserError, `expected UserError, got ${String(err)}`);
    assert.ok(err.message.includes(path), `message names the file: ${err.message}`);
    assert.match(err.message, re);
    return true;
  });
}

test('malformed files give a UserError naming the file', () => {
  const dir = tmp();
  const good = encodeSafetensors(new Map([['w', { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }]]), 'F32');
  const headerLen = Number(good.readBigUInt64LE(0));
  const write = (name: string, bytes: Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };
  let p = write('short.safetensors', Buffer.from([1, 2, 3]));
  expectUserError(() => readSafetensorsFile(p), p, /8-byte/);
  p = write('trunc-header.safetensors', good.subarray(0, 20));
  expectUserError(() => readSafetensorsFile(p), p, /header length/);
  const absurd = Buffer.from(good);
  absurd.writeBigUInt64LE(2n ** 62n, 0);
  p = write('absurd.safetensors', absurd);
  expectUserError(() => readSafetensorsFile(p), p, /absurd/);
  p = write('trunc-data.safetensors', good.subarray(0, good.length - 4));
  expectUserError(() => readSafetensorsFile(p), p, /out of range/);
  const mk = (header: string) => {
    const h = Buffer.from(header + ' '.repeat((8 - (header.length % 8)) % 8));
    const b = Buffer.alloc(8 + h.length + 24);
    b.writeBigUInt64LE(BigInt(h.length), 0);
    h.copy(b, 8);
    return b;
  };
  p = write('bad-json.safetensors', mk('{"w": {"dtype": "F32", '));
  expectUserError(() => readSafetensorsFile(p), p, /not valid JSON/);
  p = write('bad-dtype.safetensors', mk('{"w":{"dtype":"I8","shape":[2,3],"data_offsets":[0,6]}}'));
  expectUserError(() => readSafetensorsFile(p), p, /dtype "I8"/);
  p = write('bad-offsets.safetensors', mk('{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[8,32]}}'));
  expectUserError(() => readSafetensorsFile(p), p, /out of range/);
  p = write('bad-size.safetensors', mk('{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,24]}}'));
  expectUserError(() => readSafetensorsFile(p), p, /needs 16/);
  p = write('bad-shape.safetensors', mk('{"w":{"dtype":"F32","shape":[2,-3],"data_offsets":[0,24]}}'));
  expectUserError(() => readSafetensorsFile(p), p, /shape/);
  p = join(dir, 'missing.safetensors');
  expectUserError(() => readSafetensorsFile(p), p, /cannot read/);
  assert.ok(headerLen % 8 === 0);
  // A folder without weights.
  const empty = tmp();
  expectUserError(() => readModelWeights(empty), empty, /no weights/);
  assert.ok(!existsSync(join(empty, 'model.safetensors')));
  rmSync(dir, { recursive: true });
  rmSync(empty, { recursive: true });
});
