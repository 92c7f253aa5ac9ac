import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c, maskCrc } from '../../src/observe/crc32c.ts';
import {
  FILE_VERSION,
  TensorBoardWriter,
  decodeRecords,
  encodeEvent,
  encodeRecord,
  eventFileName,
  readEventFile,
} from '../../src/observe/tensorboard.ts';

test('CRC32C test vector and known values', () => {
  assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.equal(crc32c(new Uint8Array(0)), 0);
  // RFC 3720 B.4: 32 bytes of zeros -> 0x8a9136aa, 32 bytes of 0xff -> 0x62a8ab43.
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  // Mask by hand: rotate right 15, add constant.
  const c = 0x12345678;
  const rot = ((c >>> 15) | (c << 17)) >>> 0;
  assert.equal(maskCrc(c), (rot + 0xa282ead8) % 2 ** 32);
});

test('a scalar event encodes to the protobuf bytes written by hand', () => {
  const bytes = encodeEvent({ wallTime: 1.5, step: 300, scalars: [{ tag: 'a', value: 0.5 }] });
  // wall_time: 0x09 + double 1.5 LE; step: 0x10 + varint 300 (ac 02);
  // summary: 0x2a len { 0x0a len { 0x0a 01 'a', 0x15 float 0.5 LE } }
  const expected = [
    0x09, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f,
    0x10, 0xac, 0x02,
    0x2a, 0x0a, 0x0a, 0x08, 0x0a, 0x01, 0x61, 0x15, 0, 0, 0, 0x3f,
  ];
  assert.deepEqual([...bytes], expected);
});

test('a record frames the payload with length, masked CRCs', () => {
  const payload = new TextEncoder().encode('hello');
  const rec = encodeRecord(payload);
  assert.equal(rec.length, 8 + 4 + 5 + 4);
  const view = new DataView(rec.buffer);
  assert.equal(view.getBigUint64(0, true), 5n);
  assert.equal(view.getUint32(8, true), maskCrc(crc32c(rec.subarray(0, 8))));
  assert.equal(view.getUint32(17, true), maskCrc(crc32c(payload)));
  const bad = rec.slice();
  bad[13] = (bad[13] as number) ^ 1;
  assert.throws(() => decodeRecords(bad), /payload CRC mismatch/);
});

test('an event file written and parsed back: header first, steps, tags, values, CRCs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'longrl-tb-'));
  try {
    const name = eventFileName(1764131000.7, 'host1');
    assert.equal(name, 'events.out.tfevents.1764131000.host1');
    const path = join(dir, name);
    const w = new TensorBoardWriter(path, [], 1764131000.7);
    w.write({ wallTime: 1764131001, step: 1, scalars: [{ tag: 'actor/entropy', value: 1.25 }, { tag: 'reward', value: -0.5 }] });
    w.write({ wallTime: 1764131002, step: 2, scalars: [{ tag: 'actor/entropy', value: Number.NaN }] });
    w.write({ wallTime: 1764131003, step: 3, scalars: [] }); // nothing written
    w.close();
    const evs = readEventFile(path);
    assert.equal(evs.length, 3);
    assert.equal(evs[0]!.fileVersion, FILE_VERSION);
    assert.equal(evs[0]!.wallTime, 1764131000.7);
    assert.deepEqual(evs[1], { wallTime: 1764131001, step: 1, scalars: [{ tag: 'actor/entropy', value: 1.25 }, { tag: 'reward', value: -0.5 }] });
    assert.ok(Number.isNaN(evs[2]!.scalars[0]!.value));
    // Float32 rounding: 0.1 reads back as Math.fround(0.1).
    const w2 = new TensorBoardWriter(path, [{ wallTime: 5, step: 7, scalars: [{ tag: 'x', value: 0.1 }] }], 4);
    w2.close();
    const evs2 = readEventFile(path);
    assert.equal(evs2.length, 2);
    assert.equal(evs2[1]!.scalars[0]!.value, Math.fround(0.1));
    assert.equal(evs2[1]!.step, 7);
    // A torn tail (kill -9 mid-write) is an error unless allowed.
    const full = readFileSync(path);
    writeFileSync(path, full.subarray(0, full.length - 3));
    assert.throws(() => readEventFile(path), /truncated record/);
    assert.equal(readEventFile(path, { allowTornTail: true }).length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('int64 step above 2^31 and negative steps round-trip', () => {
  for (const step of [0, 1, 127, 128, 2 ** 31 + 5, 2 ** 40, -3]) {
    const rec = encodeRecord(encodeEvent({ wallTime: 0, step, scalars: [{ tag: 't', value: 1 }] }));
    const dir = mkdtempSync(join(tmpdir(), 'longrl-tb-'));
    const p = join(dir, 'events.out.tfevents.0.h');
    writeFileSync(p, rec);
    assert.equal(readEventFile(p)[0]!.step, step);
    rmSync(dir, { recursive: true, force: true });
  }
});
