/**
 * GGUF v3 binary layout (ggml's `docs/gguf.md`): magic "GGUF", u32 version, u64 tensor
 * count, u64 metadata count, metadata key/value pairs, tensor infos (name, u32 n_dims,
 * u64 ne[n_dims] with ne[0] the innermost dimension, u32 ggml type, u64 offset into the
 * data section), padding to `general.alignment` (default 32), then the tensor data, each
 * tensor starting at a multiple of the alignment. All little-endian; strings are a u64
 * byte length followed by UTF-8 bytes.
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;

export enum GgufType {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
}

/** ggml tensor types longrl writes. */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  BF16 = 30,
}

/** llama.cpp's `llama_token_type`. */
export enum GgufTokenType {
  NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6,
}

/** A metadata value with its GGUF type (arrays carry their element type). */
export type GgufValue =
  | { type: GgufType.STRING; value: string }
  | { type: GgufType.UINT32 | GgufType.INT32 | GgufType.FLOAT32 | GgufType.UINT8 | GgufType.INT8 | GgufType.UINT16 | GgufType.INT16 | GgufType.FLOAT64; value: number }
  | { type: GgufType.UINT64 | GgufType.INT64; value: bigint }
  | { type: GgufType.BOOL; value: boolean }
  | { type: GgufType.ARRAY; elemType: GgufType.STRING; value: string[] }
  | { type: GgufType.ARRAY; elemType: GgufType.INT32 | GgufType.UINT32 | GgufType.FLOAT32; value: number[] };

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Growable little-endian byte writer for the header. */
export class ByteWriter {
  private buf = Buffer.alloc(1 << 16);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  get length(): number {
    return this.pos;
  }

  u8(v: number): void { this.ensure(1); this.buf.writeUInt8(v, this.pos); this.pos += 1; }
  i8(v: number): void { this.ensure(1); this.buf.writeInt8(v, this.pos); this.pos += 1; }
  u16(v: number): void { this.ensure(2); this.buf.writeUInt16LE(v, this.pos); this.pos += 2; }
  i16(v: number): void { this.ensure(2); this.buf.writeInt16LE(v, this.pos); this.pos += 2; }
  u32(v: number): void { this.ensure(4); this.buf.writeUInt32LE(v, this.pos); this.pos += 4; }
  i32(v: number): void { this.ensure(4); this.buf.writeInt32LE(v, this.pos); this.pos += 4; }
  f32(v: number): void { this.ensure(4); this.buf.writeFloatLE(v, this.pos); this.pos += 4; }
  f64(v: number): void { this.ensure(8); this.buf.writeDoubleLE(v, this.pos); this.pos += 8; }
  u64(v: bigint | number): void { this.ensure(8); this.buf.writeBigUInt64LE(BigInt(v), this.pos); this.pos += 8; }
  i64(v: bigint): void { this.ensure(8); this.buf.writeBigInt64LE(v, this.pos); this.pos += 8; }
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  pad(to: number): void {
    const n = alignUp(this.pos, to) - this.pos;
    this.ensure(n);
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  scalar(type: GgufType, v: number | bigint | boolean | string): void {
    switch (type) {
      case GgufType.UINT8: return this.u8(v as number);
      case GgufType.INT8: return this.i8(v as number);
      case GgufType.UINT16: return this.u16(v as number);
      case GgufType.INT16: return this.i16(v as number);
      case GgufType.UINT32: return this.u32(v as number);
      case GgufType.INT32: return this.i32(v as number);
      case GgufType.FLOAT32: return this.f32(v as number);
      case GgufType.FLOAT64: return this.f64(v as number);
      case GgufType.UINT64: return this.u64(v as bigint);
      case GgufType.INT64: return this.i64(v as bigint);
      case GgufType.BOOL: return this.u8(v ? 1 : 0);
      case GgufType.STRING: return this.str(v as string);
      default: throw new Error(`GGUF: cannot write scalar of type ${type}`);
    }
  }

  value(v: GgufValue): void {
    this.u32(v.type);
    if (v.type === GgufType.ARRAY) {
      this.u32(v.elemType);
      this.u64(v.value.length);
      for (const x of v.value) this.scalar(v.elemType, x);
    } else this.scalar(v.type, v.value);
  }

  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
