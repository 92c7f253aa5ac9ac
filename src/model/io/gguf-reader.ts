/**
 * A small GGUF reader (layout in gguf-format.ts): metadata, tensor infos and F32 / F16 /
 * BF16 tensor data as float32. Used to check exports and to inspect GGUF files; errors
 * name the file.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../../util/errors.ts';
import { bf16ToF32Loop, f16ToF32Loop } from './dtype.ts';
import { GGUF_ALIGNMENT, GGUF_MAGIC, GgmlType, GgufType, alignUp } from './gguf-format.ts';

export interface GgufTensorInfo {
  name: string;
  /** ggml dims, innermost first (the PyTorch shape reversed). */
  ne: number[];
  type: number;
  /** Offset from the start of the data section. */
  offset: number;
}

export interface GgufFile {
  version: number;
  metadata: Map<string, unknown>;
  tensors: GgufTensorInfo[];
  /** Absolute file offset of the data section. */
  dataOffset: number;
  buffer: Buffer;
  path: string;
}

class Reader {
  pos = 0;
  constructor(private readonly b: Buffer, private readonly path: string) {}
  private need(n: number): void {
    if (this.pos + n > this.b.length) throw new UserError(`${this.path}: GGUF file is truncated at byte ${this.pos}`);
  }
  u8(): number { this.need(1); return this.b.readUInt8(this.pos++); }
  i8(): number { this.need(1); return this.b.readInt8(this.pos++); }
  u16(): number { this.need(2); const v = this.b.readUInt16LE(this.pos); this.pos += 2; return v; }
  i16(): number { this.need(2); const v = this.b.readInt16LE(this.pos); this.pos += 2; return v; }
  u32(): number { this.need(4); const v = this.b.readUInt32LE(this.pos); this.pos += 4; return v; }
  i32(): number { this.need(4); const v = this.b.readInt32LE(this.pos); this.pos += 4; return v; }
  f32(): number { this.need(4); const v = this.b.readFloatLE(this.pos); this.pos += 4; return v; }
  f64(): number { this.need(8); const v = this.b.readDoubleLE(this.pos); this.pos += 8; return v; }
  u64(): bigint { this.need(8); const v = this.b.readBigUInt64LE(this.pos); this.pos += 8; return v; }
  i64(): bigint { this.need(8); const v = this.b.readBigInt64LE(this.pos); this.pos += 8; return v; }
  int(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UserError(`${this.path}: GGUF count ${v} at byte ${this.pos - 8} is absurd`);
    return Number(v);
  }
  str(): string {
    const n = this.int();
    this.need(n);
    const s = this.b.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  value(type: number): unknown {
    switch (type) {
      case GgufType.UINT8: return this.u8();
      case GgufType.INT8: return this.i8();
      case GgufType.UINT16: return this.u16();
      case GgufType.INT16: return this.i16();
      case GgufType.UINT32: return this.u32();
      case GgufType.INT32: return this.i32();
      case GgufType.FLOAT32: return this.f32();
      case GgufType.FLOAT64: return this.f64();
      case GgufType.UINT64: return this.u64();
      case GgufType.INT64: return this.i64();
      case GgufType.BOOL: return this.u8() !== 0;
      case GgufType.STRING: return this.str();
      case GgufType.ARRAY: {
        const et = this.u32();
        const n = this.int();
        const out: unknown[] = [];
        for (let i = 0; i < n; i++) out.push(this.value(et));
        return out;
      }
      default: throw new UserError(`${this.path}: unknown GGUF value type ${type} at byte ${this.pos - 4}`);
    }
  }
}

export function readGguf(path: string): GgufFile {
  let buffer: Buffer;
  try {
    buffer = readFileSync(path);
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const r = new Reader(buffer, path);
  if (r.u32() !== GGUF_MAGIC) throw new UserError(`${path}: not a GGUF file (bad magic)`);
  const version = r.u32();
  const nTensors = r.int();
  const nMeta = r.int();
  const metadata = new Map<string, unknown>();
  for (let i = 0; i < nMeta; i++) {
    const k = r.str();
    metadata.set(k, r.value(r.u32()));
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = r.str();
    const nd = r.u32();
    const ne: number[] = [];
    for (let d = 0; d < nd; d++) ne.push(r.int());
    const type = r.u32();
    tensors.push({ name, ne, type, offset: r.int() });
  }
  const align = (metadata.get('general.alignment') as number | undefined) ?? GGUF_ALIGNMENT;
  return { version, metadata, tensors, dataOffset: alignUp(r.pos, align), buffer, path };
}

/** One tensor's values as float32 (F32, F16 and BF16 only). */
export function readGgufTensor(f: GgufFile, name: string): { ne: number[]; type: number; data: Float32Array } {
  const t = f.tensors.find((x) => x.name === name);
  if (!t) throw new UserError(`${f.path}: no tensor "${name}"`);
  const n = t.ne.reduce((a, b) => a * b, 1);
  const start = f.dataOffset + t.offset;
  const data = new Float32Array(n);
  if (t.type === GgmlType.F32) {
    if (start + 4 * n > f.buffer.length) throw new UserError(`${f.path}: tensor "${name}" runs past the end of the file`);
    new Uint8Array(data.buffer).set(f.buffer.subarray(start, start + 4 * n));
  } else if (t.type === GgmlType.F16 || t.type === GgmlType.BF16) {
    if (start + 2 * n > f.buffer.length) throw new UserError(`${f.path}: tensor "${name}" runs past the end of the file`);
    const u16 = new Uint16Array(n);
    new Uint8Array(u16.buffer).set(f.buffer.subarray(start, start + 2 * n));
    if (t.type === GgmlType.F16) f16ToF32Loop(u16, data);
    else bf16ToF32Loop(u16, data);
  } else throw new UserError(`${f.path}: tensor "${name}" has ggml type ${t.type}; only F32, F16, BF16 are read`);
  return { ne: t.ne, type: t.type, data };
}
