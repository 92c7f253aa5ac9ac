/**
 * The few protocol-buffer wire-format pieces a TensorBoard scalar event needs
 * (https://protobuf.dev/programming-guides/encoding/): varints, 64-bit doubles,
 * 32-bit floats and length-delimited fields; and a generic field decoder for reading
 * files back (unknown fields are skipped, as protobuf readers do).
 */

const UTF8 = new TextEncoder();

/** Wire types of the protobuf encoding. */
export const WIRE = { varint: 0, i64: 1, len: 2, i32: 5 } as const;

const SCRATCH = new DataView(new ArrayBuffer(8));

/**
 * Appends protobuf fields to a growing byte list. Bytes collect in a plain array and
 * become one Uint8Array at the end: allocating a typed array per field would cost more
 * than the encoding itself.
 */
export class ProtoWriter {
  private readonly out: number[] = [];

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  private varint(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
      // Fast path without BigInt for the usual small non-negative values.
      let x = v;
      while (x >= 0x80) {
        this.out.push((x % 0x80) | 0x80);
        x = Math.floor(x / 0x80);
      }
      this.out.push(x);
      return;
    }
    // int64 fields encode negative numbers as their 64-bit two's complement (10 bytes).
    let x = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(x & 0x7fn);
      x >>= 7n;
      if (x !== 0n) b |= 0x80;
      this.out.push(b);
    } while (x !== 0n);
  }

  int64(field: number, v: number | bigint): this {
    this.key(field, WIRE.varint);
    this.varint(typeof v === 'bigint' ? v : Math.trunc(v));
    return this;
  }

  double(field: number, v: number): this {
    this.key(field, WIRE.i64);
    SCRATCH.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.out.push(SCRATCH.getUint8(i));
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, WIRE.i32);
    SCRATCH.setFloat32(0, v, true);
    for (let i = 0; i < 4; i++) this.out.push(SCRATCH.getUint8(i));
    return this;
  }

  bytes(field: number, v: Uint8Array): this {
    this.key(field, WIRE.len);
    this.varint(v.length);
    for (let i = 0; i < v.length; i++) this.out.push(v[i] as number);
    return this;
  }

  string(field: number, v: string): this {
    return this.bytes(field, UTF8.encode(v));
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

/** One decoded field: varints as bigint, fixed-width as raw bytes, len as bytes. */
export interface ProtoField {
  field: number;
  wire: number;
  varint?: bigint;
  bytes?: Uint8Array;
}

/** Decodes the top-level fields of a message; throws RangeError on malformed input. */
export function decodeFields(buf: Uint8Array): ProtoField[] {
  const out: ProtoField[] = [];
  let off = 0;
  const readVarint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (off >= buf.length) throw new RangeError('protobuf: truncated varint');
      const b = buf[off++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw new RangeError('protobuf: varint too long');
    }
  };
  const take = (n: number): Uint8Array => {
    if (off + n > buf.length) throw new RangeError('protobuf: truncated field');
    const s = buf.subarray(off, off + n);
    off += n;
    return s;
  };
  while (off < buf.length) {
    const key = Number(readVarint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === WIRE.varint) out.push({ field, wire, varint: readVarint() });
    else if (wire === WIRE.i64) out.push({ field, wire, bytes: take(8) });
    else if (wire === WIRE.i32) out.push({ field, wire, bytes: take(4) });
    else if (wire === WIRE.len) out.push({ field, wire, bytes: take(Number(readVarint())) });
    else throw new RangeError(`protobuf: unsupported wire type ${wire}`);
  }
  return out;
}

export function readDouble(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, 8).getFloat64(0, true);
}

export function readFloat(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true);
}
