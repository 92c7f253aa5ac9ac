/**
 * GPT-2's byte ↔ unicode table used by byte-level BPE (ecosystem §2): bytes 33–126,
 * 161–172 and 174–255 map to the same code point; every other byte b, in increasing
 * order, maps to 256 + n (n counting from 0). Every byte has a printable, non-space
 * character, so a vocabulary of 256 base tokens covers any text.
 */

function buildTable(): string[] {
  const table = new Array<string>(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    table[b] = String.fromCharCode(printable ? b : 256 + n++);
  }
  return table;
}

/** BYTE_TO_CHAR[b] is the character standing for byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildTable();

/** Character → byte (inverse of BYTE_TO_CHAR). */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** UTF-8 bytes of `text` as byte-level characters. */
export function toByteLevel(text: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}

/** The raw bytes a byte-level token stands for (undefined if it has a foreign character). */
export function byteLevelToBytes(token: string): Uint8Array | undefined {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = CHAR_TO_BYTE.get(token[i] as string);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}
