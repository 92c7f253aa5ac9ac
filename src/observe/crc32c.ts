/**
 * CRC-32C (Castagnoli), the checksum of TFRecord framing used by TensorBoard event files
 * (reference: ecosystem.md §6; test vector "123456789" -> 0xe3069283).
 * Reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF.
 */

const TABLE_256 = buildTable();

function buildTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** CRC-32C of `bytes`, as an unsigned 32-bit integer. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc = (TABLE_256[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The "masked" CRC TFRecord stores, so that a CRC of data that itself contains CRCs
 * stays well distributed: rotate right by 15 bits, then add 0xa282ead8 (mod 2^32).
 */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** Masked CRC-32C of `bytes`. */
export function maskedCrc32c(bytes: Uint8Array): number {
  return maskCrc(crc32c(bytes));
}
