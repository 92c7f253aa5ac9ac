/**
 * Token lengths of records (the curriculum's length = tokens of the rendered prompt,
 * qwenlong-recipe.md §9) computed once per tokenizer and cached in a sidecar file
 * beside the data, `<data>.lengths.json`, keyed by record id, a hash of the record's
 * prompt fields and a fingerprint of the tokenizer; and middle truncation to a token
 * budget as QwenLong-L1's evaluation does it (§14.1: `ids[:h] + ids[-h:]`).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../util/fsx.ts';
import { hash32 } from '../util/rng.ts';
import type { DocQARecord } from './record.ts';
import { renderPrompt } from './prompt.ts';
import type { TokenCounter } from './tokens.ts';

/** sha256 (first 16 hex) of a tokenizer folder's tokenizer.json and tokenizer_config.json. */
export function tokenizerFingerprint(dir: string): string {
  const h = createHash('sha256');
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja']) {
    const p = join(dir, f);
    h.update(`${f}\0`);
    if (existsSync(p)) h.update(readFileSync(p));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** A short hash of the fields that decide a record's prompt. */
export function promptHash(r: Pick<DocQARecord, 'document' | 'question' | 'choices'>): string {
  const a = hash32(r.document);
  const b = hash32(`${r.question}\0${(r.choices ?? []).join('\0')}`);
  return `${a.toString(16).padStart(8, '0')}${b.toString(16).padStart(8, '0')}`;
}

interface SidecarFile {
  version: 1;
  tokenizer: string;
  /** id → [prompt tokens, prompt hash] */
  lengths: Record<string, [number, string]>;
}

export function sidecarPath(dataPath: string): string {
  return `${dataPath}.lengths.json`;
}

export interface LengthsResult {
  lengths: Map<string, number>;
  computed: number;
  cached: number;
}

/**
 * Rendered-prompt token counts of `records`. With `cache`, reuses the sidecar's
 * entries whose tokenizer fingerprint and prompt hash match and rewrites the sidecar
 * when anything was computed.
 */
export function recordLengths(
  records: readonly DocQARecord[],
  counter: TokenCounter,
  cache?: { dataPath: string; tokenizer: string },
  onProgress?: (done: number, total: number) => void,
): LengthsResult {
  let old: SidecarFile | null = null;
  const path = cache ? sidecarPath(cache.dataPath) : null;
  if (path && existsSync(path)) {
    try {
      const s = JSON.parse(readFileSync(path, 'utf8')) as SidecarFile;
      if (s.version === 1 && s.tokenizer === cache?.tokenizer) old = s;
    } catch {
      old = null; // a corrupt cache is recomputed
    }
  }
  const lengths = new Map<string, number>();
  const out: SidecarFile = { version: 1, tokenizer: cache?.tokenizer ?? '', lengths: {} };
  let computed = 0;
  let cached = 0;
  records.forEach((r, i) => {
    const h = promptHash(r);
    const hit = old?.lengths[r.id];
    let n: number;
    if (hit && hit[1] === h) {
      n = hit[0];
      cached++;
    } else {
      n = counter.encode(renderPrompt(r, counter.renderChat?.bind(counter))).length;
      computed++;
    }
    lengths.set(r.id, n);
    out.lengths[r.id] = [n, h];
    onProgress?.(i + 1, records.length);
  });
  if (path && (computed > 0 || old === null || Object.keys(old.lengths).length !== records.length)) writeJsonAtomic(path, out);
  return { lengths, computed, cached };
}

/**
 * Middle truncation (QwenLong-L1 eval): when `ids` is longer than `maxTokens`, keep
 * `ids[:h] + ids[-h:]` with h = floor(maxTokens / 2) (so an odd budget keeps
 * maxTokens − 1 tokens, as the reference does).
 */
export function middleTruncate<T>(ids: readonly T[], maxTokens: number): T[] {
  if (ids.length <= maxTokens) return [...ids];
  const h = Math.floor(maxTokens / 2);
  return h === 0 ? [] : [...ids.slice(0, h), ...ids.slice(ids.length - h)];
}

/** Middle-truncates a text in token space and decodes it back (special tokens skipped). */
export function middleTruncateText(
  text: string,
  tok: { encode(t: string): number[]; decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string },
  maxTokens: number,
): string {
  const ids = tok.encode(text);
  if (ids.length <= maxTokens) return text;
  return tok.decode(middleTruncate(ids, maxTokens), { skipSpecialTokens: true });
}
