/**
 * safetensors reading and writing (ecosystem §3), including Hugging Face shards with
 * `model.safetensors.index.json`.
 *
 * Layout: u64 little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}` padded with
 * spaces to a multiple of 8, then the raw little-endian tensor data with offsets relative
 * to byte 8 + N. In memory every tensor is float32; BF16 / F16 are converted on read and
 * on write (round to nearest even).
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { endianness } from 'node:os';
import { UserError } from '../util/errors.ts';
import { readJsonFile, writeFileAtomicStream, writeJsonAtomic } from '../util/fsx.ts';
import { bf16ToF32Loop, f16ToF32Loop, f32ToBf16Loop, f32ToF16Loop } from './io/dtype.ts';

export type StDtype = 'F32' | 'BF16' | 'F16';
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** Bytes per element of the dtypes longrl reads (F64 is read and converted too). */
const DTYPE_BYTES: Record<string, number> = { F32: 4, BF16: 2, F16: 2, F64: 8 };
/** Largest header the reader accepts (the safetensors library's own limit is 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;
export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';
/** transformers' default `max_shard_size` ("5GB"). */
const DEFAULT_MAX_SHARD_BYTES = 5_000_000_000;
const SHARD_RE = /^model-\d{5}-of-\d{5}\.safetensors$/;

if (endianness() !== 'LE') throw new Error('longrl safetensors io assumes a little-endian machine');

function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Header entry of one tensor, as parsed from a file. */
interface Entry {
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** An open safetensors file: positioned reads, so files above Node's 2 GiB readFileSync limit load too. */
class StFile {
  readonly size: number;
  constructor(readonly fd: number, readonly path: string) {
    this.size = fstatSync(fd).size;
  }

  read(into: Uint8Array, position: number): void {
    let off = 0;
    while (off < into.length) {
      const n = readSync(this.fd, into, off, into.length - off, position + off);
      if (n === 0) throw new UserError(`${this.path}: unexpected end of file at byte ${position + off}`);
      off += n;
    }
  }
}

function openSt(path: string): StFile {
  try {
    return new StFile(openSync(path, 'r'), path);
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Parses and validates the header; errors name the file. */
function parseHeader(f: StFile): { entries: Map<string, Entry>; dataStart: number; metadata: Record<string, string> } {
  const path = f.path;
  if (f.size < 8) throw new UserError(`${path}: not a safetensors file (${f.size} bytes, shorter than the 8-byte header length)`);
  const lenBuf = Buffer.alloc(8);
  f.read(lenBuf, 0);
  const n = lenBuf.readBigUInt64LE(0);
  if (n > BigInt(MAX_HEADER_BYTES) || n > BigInt(f.size - 8)) {
    throw new UserError(`${path}: safetensors header length ${n} is absurd for a file of ${f.size} bytes (truncated or not a safetensors file)`);
  }
  const headerLen = Number(n);
  const headerBuf = Buffer.alloc(headerLen);
  f.read(headerBuf, 8);
  let header: unknown;
  try {
    header = JSON.parse(headerBuf.toString('utf8'));
  } catch (err) {
    throw new UserError(`${path}: safetensors header is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new UserError(`${path}: safetensors header must be a JSON object`);
  }
  const dataStart = 8 + headerLen;
  const dataLen = f.size - dataStart;
  const entries = new Map<string, Entry>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof v === 'object' && v !== null) metadata = v as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) throw new UserError(`${path}: tensor "${name}": header entry is not an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) {
      throw new UserError(`${path}: tensor "${name}" has dtype ${JSON.stringify(e.dtype)}; supported: F32, BF16, F16, F64`);
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new UserError(`${path}: tensor "${name}" has a bad shape ${JSON.stringify(e.shape)}`);
    }
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isInteger(x) && x >= 0)) {
      throw new UserError(`${path}: tensor "${name}" has bad data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    const shape = e.shape as number[];
    const want = numel(shape) * (DTYPE_BYTES[e.dtype] as number);
    if (end < begin || end > dataLen) {
      throw new UserError(`${path}: tensor "${name}" data_offsets [${begin}, ${end}] are out of range (data section has ${dataLen} bytes; file truncated?)`);
    }
    if (end - begin !== want) {
      throw new UserError(`${path}: tensor "${name}" occupies ${end - begin} bytes but ${e.dtype} ${JSON.stringify(shape)} needs ${want}`);
    }
    entries.set(name, { dtype: e.dtype, shape: [...shape], begin, end });
  }
  return { entries, dataStart, metadata };
}

function decode(f: StFile, start: number, e: Entry): Float32Array {
  const count = numel(e.shape);
  const out = new Float32Array(count);
  const pos = start + e.begin;
  if (e.dtype === 'F32') {
    f.read(new Uint8Array(out.buffer), pos);
  } else if (e.dtype === 'F64') {
    const tmp = new Float64Array(count);
    f.read(new Uint8Array(tmp.buffer), pos);
    for (let i = 0; i < count; i++) out[i] = tmp[i] as number;
  } else {
    const u16 = new Uint16Array(count);
    f.read(new Uint8Array(u16.buffer), pos);
    if (e.dtype === 'BF16') bf16ToF32Loop(u16, out);
    else f16ToF32Loop(u16, out);
  }
  return out;
}

/** Reads every tensor of one safetensors file as float32 (BF16/F16/F64 converted). */
export function readSafetensorsFile(path: string): Map<string, Tensor> {
  const f = openSt(path);
  try {
    const { entries, dataStart } = parseHeader(f);
    const out = new Map<string, Tensor>();
    for (const [name, e] of entries) out.set(name, { shape: e.shape, data: decode(f, dataStart, e) });
    return out;
  } finally {
    closeSync(f.fd);
  }
}

/** The header of a safetensors file: dtype and shape per tensor, and `__metadata__`. */
export function readSafetensorsHeader(path: string): { tensors: Map<string, { dtype: string; shape: number[] }>; metadata: Record<string, string> } {
  const f = openSt(path);
  let parsed: ReturnType<typeof parseHeader>;
  try {
    parsed = parseHeader(f);
  } finally {
    closeSync(f.fd);
  }
  const { entries, metadata } = parsed;
  const tensors = new Map<string, { dtype: string; shape: number[] }>();
  for (const [name, e] of entries) tensors.set(name, { dtype: e.dtype, shape: e.shape });
  return { tensors, metadata };
}

/**
 * Reads a model folder's weights: `model.safetensors` when present (transformers looks
 * for it first), else the shards listed in `model.safetensors.index.json`.
 */
export function readModelWeights(dir: string): Map<string, Tensor> {
  const single = join(dir, SINGLE_FILE);
  if (existsSync(single)) return readSafetensorsFile(single);
  const indexPath = join(dir, INDEX_FILE);
  if (!existsSync(indexPath)) throw new UserError(`${dir}: no weights found (neither ${SINGLE_FILE} nor ${INDEX_FILE})`);
  const index = readJsonFile<{ weight_map?: unknown }>(indexPath);
  const map = index.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new UserError(`${indexPath}: field "weight_map" must be an object {tensor: file}`);
  }
  const byFile = new Map<string, string[]>();
  for (const [name, file] of Object.entries(map as Record<string, unknown>)) {
    if (typeof file !== 'string' || file.includes('/') || file.includes('\\')) {
      throw new UserError(`${indexPath}: field "weight_map.${name}" must be a file name in the folder, got ${JSON.stringify(file)}`);
    }
    const list = byFile.get(file) ?? [];
    list.push(name);
    byFile.set(file, list);
  }
  const out = new Map<string, Tensor>();
  for (const [file, names] of [...byFile].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const shardPath = join(dir, file);
    const tensors = readSafetensorsFile(shardPath);
    for (const name of names) {
      const t = tensors.get(name);
      if (!t) throw new UserError(`${indexPath}: tensor "${name}" is mapped to ${file}, which does not contain it`);
      out.set(name, t);
    }
  }
  return out;
}

function bytesOf(dtype: StDtype): number {
  return dtype === 'F32' ? 4 : 2;
}

function encode(t: Tensor, dtype: StDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const u16 = new Uint16Array(t.data.length);
  if (dtype === 'BF16') f32ToBf16Loop(t.data, u16);
  else f32ToF16Loop(t.data, u16);
  return new Uint8Array(u16.buffer);
}

function checkTensor(name: string, t: Tensor, path: string): void {
  if (numel(t.shape) !== t.data.length) {
    throw new Error(`${path}: tensor "${name}" has shape ${JSON.stringify(t.shape)} but ${t.data.length} values`);
  }
}

/**
 * The header bytes (length prefix included) and tensor order of a safetensors file:
 * tensors in name order, no gaps, JSON padded with spaces to a multiple of 8 and
 * `__metadata__.format = "pt"` (transformers refuses files without a known format).
 * This is the byte layout Python's safetensors writes for one dtype.
 */
function planSafetensors(tensors: Map<string, Tensor>, dtype: StDtype, metadata: Record<string, string>, where: string): { head: Buffer; names: string[]; dataBytes: number } {
  const names = [...tensors.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...metadata } };
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name) as Tensor;
    checkTensor(name, t, where);
    const size = t.data.length * bytesOf(dtype);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  const rawLen = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (rawLen % 8)) % 8);
  const headerLen = Buffer.byteLength(json, 'utf8');
  const head = Buffer.alloc(8 + headerLen);
  head.writeBigUInt64LE(BigInt(headerLen), 0);
  head.write(json, 8, 'utf8');
  return { head, names, dataBytes: offset };
}

/** The bytes of a safetensors file (in memory; `writeSafetensorsFile` streams instead). */
export function encodeSafetensors(tensors: Map<string, Tensor>, dtype: StDtype, metadata: Record<string, string> = {}, where = 'safetensors'): Buffer {
  const { head, names, dataBytes } = planSafetensors(tensors, dtype, metadata, where);
  const out = Buffer.alloc(head.length + dataBytes);
  head.copy(out, 0);
  let pos = head.length;
  for (const name of names) {
    const bytes = encode(tensors.get(name) as Tensor, dtype);
    out.set(bytes, pos);
    pos += bytes.length;
  }
  return out;
}

/**
 * Writes one safetensors file atomically (temporary file, fsync, rename), one tensor at
 * a time, so files larger than a Node Buffer can hold are fine.
 */
export function writeSafetensorsFile(path: string, tensors: Map<string, Tensor>, dtype: StDtype, metadata: Record<string, string> = {}): void {
  const { head, names } = planSafetensors(tensors, dtype, metadata, path);
  writeFileAtomicStream(path, (put) => {
    put(head);
    for (const name of names) put(encode(tensors.get(name) as Tensor, dtype));
  });
}

/** Removes weight files a previous save left that the new save does not replace. */
function removeStaleWeights(dir: string, keep: Set<string>): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if ((name === SINGLE_FILE || name === INDEX_FILE || SHARD_RE.test(name)) && !keep.has(name)) {
      const p = join(dir, name);
      if (statSync(p).isFile()) rmSync(p);
    }
  }
}

/**
 * Writes a model's weights into `dir` as transformers' `save_pretrained` does:
 * one `model.safetensors`, or, when the total exceeds `maxShardBytes` (default 5 GB),
 * shards `model-0000k-of-0000n.safetensors` filled greedily in name order plus
 * `model.safetensors.index.json` (`{metadata: {total_size}, weight_map}`).
 */
export function writeModelWeights(dir: string, tensors: Map<string, Tensor>, opts: { dtype: StDtype; maxShardBytes?: number }): void {
  const maxShard = opts.maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES;
  const per = bytesOf(opts.dtype);
  const names = [...tensors.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let total = 0;
  for (const name of names) total += (tensors.get(name) as Tensor).data.length * per;
  if (total <= maxShard) {
    writeSafetensorsFile(join(dir, SINGLE_FILE), tensors, opts.dtype);
    removeStaleWeights(dir, new Set([SINGLE_FILE]));
    return;
  }
  const shards: string[][] = [];
  let current: string[] = [];
  let currentBytes = 0;
  for (const name of names) {
    const size = (tensors.get(name) as Tensor).data.length * per;
    if (current.length > 0 && currentBytes + size > maxShard) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(name);
    currentBytes += size;
  }
  if (current.length > 0) shards.push(current);
  const pad = (k: number) => String(k).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  const files = new Set<string>([INDEX_FILE]);
  shards.forEach((shardNames, k) => {
    const file = `model-${pad(k + 1)}-of-${pad(shards.length)}.safetensors`;
    files.add(file);
    const sub = new Map<string, Tensor>();
    for (const name of shardNames) {
      sub.set(name, tensors.get(name) as Tensor);
      weightMap[name] = file;
    }
    writeSafetensorsFile(join(dir, file), sub, opts.dtype);
  });
  const sortedMap: Record<string, string> = {};
  for (const name of names) sortedMap[name] = weightMap[name] as string;
  writeJsonAtomic(join(dir, INDEX_FILE), { metadata: { total_size: total }, weight_map: sortedMap });
  removeStaleWeights(dir, files);
}
