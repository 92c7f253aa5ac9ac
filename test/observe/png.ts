/**
 * A small PNG decoder for tests (8-bit RGBA or RGB, non-interlaced): checks the chunk
 * CRCs, inflates IDAT with node:zlib and undoes the scanline filters (PNG spec §9), so a
 * test can look at the pixels resvg wrote.
 */
import { inflateSync, crc32 as zcrc32 } from 'node:zlib';

export interface Png {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

function crc32(buf: Uint8Array): number {
  if (typeof zcrc32 === 'function') return zcrc32(buf) >>> 0;
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

export function decodePng(png: Buffer): Png {
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.subarray(off + 4, off + 8).toString('ascii');
    const body = png.subarray(off + 8, off + 8 + len);
    if (crc32(png.subarray(off + 4, off + 8 + len)) !== png.readUInt32BE(off + 8 + len)) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      if (body[8] !== 8 || body[12] !== 0) throw new Error('only 8-bit non-interlaced PNGs');
      channels = body[9] === 6 ? 4 : body[9] === 2 ? 3 : 0;
      if (channels === 0) throw new Error(`colour type ${body[9]} not supported`);
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const data = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)] as number;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? (data[y * stride + x - channels] as number) : 0;
      const b = y > 0 ? (data[(y - 1) * stride + x] as number) : 0;
      const c = x >= channels && y > 0 ? (data[(y - 1) * stride + x - channels] as number) : 0;
      let pred = 0;
      if (filter === 1) pred = a;
      else if (filter === 2) pred = b;
      else if (filter === 3) pred = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      data[y * stride + x] = ((src[x] as number) + pred) & 0xff;
    }
  }
  return { width, height, channels, data };
}

/** Number of pixels in a rectangle darker than `threshold` (0-255, mean of RGB). */
export function darkPixels(img: Png, x0: number, y0: number, x1: number, y1: number, threshold = 128): number {
  let n = 0;
  for (let y = y0; y < Math.min(y1, img.height); y++) {
    for (let x = x0; x < Math.min(x1, img.width); x++) {
      const i = (y * img.width + x) * img.channels;
      const m = ((img.data[i] as number) + (img.data[i + 1] as number) + (img.data[i + 2] as number)) / 3;
      if (m < threshold) n++;
    }
  }
  return n;
}
