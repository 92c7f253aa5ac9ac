/**
 * TensorBoard event files without a dependency (reference: ecosystem.md §6).
 *
 * A file is a sequence of TFRecords: u64 LE payload length, masked CRC-32C of those 8
 * length bytes, the payload, masked CRC-32C of the payload. Each payload is a protobuf
 * `Event{wall_time=1 double, step=2 int64, file_version=3 string, summary=5 Summary}`,
 * `Summary{value=1 repeated Value}`, `Value{tag=1 string, simple_value=2 float}`.
 * The first event carries `file_version: "brain.Event:2"`. File name:
 * `events.out.tfevents.<unixtime>.<hostname>`.
 *
 * The reader exists so tests (and resume) can parse files back and check every CRC.
 */
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UserError } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fsx.ts';
import { maskedCrc32c } from './crc32c.ts';
import { ProtoWriter, decodeFields, readDouble, readFloat } from './proto.ts';

export const FILE_VERSION = 'brain.Event:2';
export const EVENT_FILE_PREFIX = 'events.out.tfevents.';

/** One scalar value of an event. */
export interface TbScalar {
  tag: string;
  value: number;
}

/** A decoded event: the version header or a summary of scalars. */
export interface TbEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: TbScalar[];
}

/** `events.out.tfevents.<unixtime>.<hostname>` (unixtime in whole seconds). */
export function eventFileName(unixSeconds: number, host: string = hostname()): string {
  return `${EVENT_FILE_PREFIX}${Math.floor(unixSeconds)}.${host}`;
}

/** Event files directly inside `dir`, sorted by name (TensorBoard reads them in this order). */
export function findEventFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.startsWith(EVENT_FILE_PREFIX))
    .sort()
    .map((n) => join(dir, n));
}

/** Frames one payload as a TFRecord. */
export function encodeRecord(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + payload.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(payload.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(payload, 12);
  view.setUint32(12 + payload.length, maskedCrc32c(payload), true);
  return out;
}

export interface DecodeRecordsResult {
  payloads: Uint8Array[];
  /** Bytes covered by complete, valid records (the rest is a torn tail, if allowed). */
  validBytes: number;
}

/**
 * Splits a TFRecord stream into payloads, checking both CRCs of every record.
 * With `allowTornTail`, an incomplete last record (a write cut by kill -9) is ignored;
 * a CRC mismatch is always an error naming the byte offset.
 */
export function decodeRecords(buf: Uint8Array, file = '<buffer>', allowTornTail = false): DecodeRecordsResult {
  const payloads: Uint8Array[] = [];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off < buf.length) {
    if (off + 12 > buf.length) {
      if (allowTornTail) break;
      throw new UserError(`${file}: truncated record header at byte ${off}`);
    }
    const len64 = view.getBigUint64(off, true);
    const lenCrc = view.getUint32(off + 8, true);
    if (maskedCrc32c(buf.subarray(off, off + 8)) !== lenCrc) {
      throw new UserError(`${file}: length CRC mismatch at byte ${off}`);
    }
    const len = Number(len64);
    if (off + 12 + len + 4 > buf.length) {
      if (allowTornTail) break;
      throw new UserError(`${file}: truncated record at byte ${off} (needs ${len} payload bytes)`);
    }
    const payload = buf.subarray(off + 12, off + 12 + len);
    if (maskedCrc32c(payload) !== view.getUint32(off + 12 + len, true)) {
      throw new UserError(`${file}: payload CRC mismatch in record at byte ${off}`);
    }
    payloads.push(payload);
    off += 12 + len + 4;
  }
  return { payloads, validBytes: off };
}

/** Encodes an event (version header when `fileVersion` is set, else scalars). */
export function encodeEvent(ev: TbEvent): Uint8Array {
  const w = new ProtoWriter().double(1, ev.wallTime).int64(2, ev.step);
  if (ev.fileVersion !== undefined) w.string(3, ev.fileVersion);
  if (ev.scalars.length > 0) {
    const summary = new ProtoWriter();
    for (const s of ev.scalars) summary.bytes(1, new ProtoWriter().string(1, s.tag).float(2, s.value).finish());
    w.bytes(5, summary.finish());
  }
  return w.finish();
}

/** Decodes an Event payload; fields other than the ones above are skipped. */
export function decodeEvent(payload: Uint8Array): TbEvent {
  const ev: TbEvent = { wallTime: 0, step: 0, scalars: [] };
  const text = new TextDecoder();
  for (const f of decodeFields(payload)) {
    if (f.field === 1 && f.bytes) ev.wallTime = readDouble(f.bytes);
    else if (f.field === 2 && f.varint !== undefined) ev.step = Number(BigInt.asIntN(64, f.varint));
    else if (f.field === 3 && f.bytes) ev.fileVersion = text.decode(f.bytes);
    else if (f.field === 5 && f.bytes) {
      for (const v of decodeFields(f.bytes)) {
        if (v.field !== 1 || !v.bytes) continue;
        let tag = '';
        let value = Number.NaN;
        for (const g of decodeFields(v.bytes)) {
          if (g.field === 1 && g.bytes) tag = text.decode(g.bytes);
          else if (g.field === 2 && g.bytes) value = readFloat(g.bytes);
        }
        ev.scalars.push({ tag, value });
      }
    }
  }
  return ev;
}

/** Reads every event of a file, checking CRCs. */
export function readEventFile(path: string, opts: { allowTornTail?: boolean } = {}): TbEvent[] {
  const buf = readFileSync(path);
  return decodeRecords(buf, path, opts.allowTornTail ?? false).payloads.map(decodeEvent);
}

/**
 * Appends events to one event file. Created with the version header (and, for a
 * resumed run, the events to keep), written atomically; then opened for appending.
 */
export class TensorBoardWriter {
  private fd: number;

  /**
   * Creates (or replaces) `path` holding the version header followed by `events`.
   * `headerWallTime` is the header event's wall time (seconds since the epoch).
   */
  constructor(
    readonly path: string,
    events: readonly TbEvent[] = [],
    headerWallTime: number = Date.now() / 1000,
  ) {
    const records = [encodeRecord(encodeEvent({ wallTime: headerWallTime, step: 0, fileVersion: FILE_VERSION, scalars: [] }))];
    for (const ev of events) records.push(encodeRecord(encodeEvent(ev)));
    writeFileAtomic(path, Buffer.concat(records));
    this.fd = openSync(path, 'a');
  }

  /** Writes one event with the given scalars at `step` (nothing if empty). */
  write(ev: TbEvent): void {
    if (ev.scalars.length === 0) return;
    writeSync(this.fd, encodeRecord(encodeEvent(ev)));
  }

  flush(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd < 0) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }
}
