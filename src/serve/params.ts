/**
 * Validation of the OpenAI request fields longrl uses (`/v1/completions`,
 * `/v1/chat/completions`). Every wrong type or out-of-range value is a 400 naming the
 * field (`param`), as the OpenAI API answers. Fields longrl does not use are accepted and
 * ignored (contracts.md §6: wire protocols ignore unknown request fields).
 */
import { ApiError } from './errors.ts';

/** Server-side caps that turn absurd requests into 400s instead of hours of work. */
export interface RequestLimits {
  /** Context window: prompt + max_tokens must fit. */
  maxModelLen: number;
  /** Most samples per prompt. */
  maxN: number;
  /** Most prompts in one completions request. */
  maxPrompts: number;
  /** max_tokens when the request leaves it out (OpenAI's completions default is 16). */
  defaultMaxTokens: number;
  vocabSize: number;
}

/** The sampling part of a request, normalised. */
export interface GenParams {
  n: number;
  temperature: number;
  topP: number;
  topK: number;
  /** null: not given (the endpoint's default applies). */
  maxTokens: number | null;
  stop: string[];
  seed: number | null;
  /** Top alternatives per token; null: no logprobs at all, 0: the chosen token's only. */
  logprobs: number | null;
  stream: boolean;
  includeUsage: boolean;
  returnTokenIds: boolean;
}

function bad(param: string, message: string): ApiError {
  return new ApiError(400, `${param}: ${message}`, 'invalid_request_error', param, 'invalid_value');
}

export function optNumber(body: Record<string, unknown>, key: string, o: { min: number; max: number; int?: boolean; def: number }): number {
  const v = body[key];
  if (v === undefined || v === null) return o.def;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(key, `must be a number, got ${JSON.stringify(v)}`);
  if (o.int && !Number.isInteger(v)) throw bad(key, `must be an integer, got ${v}`);
  if (v < o.min || v > o.max) throw bad(key, `must be between ${o.min} and ${o.max}, got ${v}`);
  return v;
}

function optBool(body: Record<string, unknown>, key: string, def: boolean): boolean {
  const v = body[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'boolean') throw bad(key, `must be a boolean, got ${JSON.stringify(v)}`);
  return v;
}

function parseStop(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string')) throw bad('stop', 'must be a string or a list of strings');
  if (list.length > 16) throw bad('stop', `at most 16 stop strings, got ${list.length}`);
  if (list.some((s: string) => s.length > 512)) throw bad('stop', 'stop strings are limited to 512 characters');
  return (list as string[]).filter((s) => s.length > 0);
}

/** Parses the sampling fields shared by both endpoints; `chat` selects the logprobs form. */
export function parseGenParams(body: Record<string, unknown>, chat: boolean, limits: RequestLimits): GenParams {
  const n = optNumber(body, 'n', { min: 1, max: limits.maxN, int: true, def: 1 });
  const temperature = optNumber(body, 'temperature', { min: 0, max: 100, def: 1 });
  const topP = optNumber(body, 'top_p', { min: Number.MIN_VALUE, max: 1, def: 1 });
  const topK = optNumber(body, 'top_k', { min: -1, max: limits.vocabSize, int: true, def: -1 });
  const maxKey = chat && body['max_tokens'] == null && body['max_completion_tokens'] != null ? 'max_completion_tokens' : 'max_tokens';
  const maxTokens = body[maxKey] == null ? null : optNumber(body, maxKey, { min: 1, max: limits.maxModelLen, int: true, def: 0 });
  const seedRaw = body['seed'];
  let seed: number | null = null;
  if (seedRaw !== undefined && seedRaw !== null) seed = optNumber(body, 'seed', { min: -(2 ** 53), max: 2 ** 53, int: true, def: 0 });
  let logprobs: number | null = null;
  if (chat) {
    if (optBool(body, 'logprobs', false)) logprobs = optNumber(body, 'top_logprobs', { min: 0, max: 20, int: true, def: 0 });
    else if (body['top_logprobs'] != null) throw bad('top_logprobs', 'needs "logprobs": true');
  } else if (body['logprobs'] !== undefined && body['logprobs'] !== null) {
    logprobs = optNumber(body, 'logprobs', { min: 0, max: 20, int: true, def: 0 });
  }
  const stream = optBool(body, 'stream', false);
  const so = body['stream_options'];
  if (so !== undefined && so !== null && (typeof so !== 'object' || Array.isArray(so))) throw bad('stream_options', 'must be an object');
  const includeUsage = so ? optBool(so as Record<string, unknown>, 'include_usage', false) : false;
  return {
    n, temperature, topP, topK, maxTokens, stop: parseStop(body['stop']), seed, logprobs, stream, includeUsage,
    returnTokenIds: optBool(body, 'return_token_ids', false),
  };
}

/** A completions `prompt`: text, a list of texts, token ids, or a list of token-id lists. */
export type PromptInput = { kind: 'text'; text: string } | { kind: 'ids'; ids: number[] };

export function parsePrompts(v: unknown, limits: RequestLimits): PromptInput[] {
  const isIds = (x: unknown): x is number[] => Array.isArray(x) && x.length > 0 && x.every((t) => typeof t === 'number');
  let out: PromptInput[];
  if (typeof v === 'string') out = [{ kind: 'text', text: v }];
  else if (isIds(v)) out = [{ kind: 'ids', ids: v }];
  else if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) out = (v as string[]).map((text) => ({ kind: 'text', text }));
  else if (Array.isArray(v) && v.length > 0 && v.every(isIds)) out = (v as number[][]).map((ids) => ({ kind: 'ids', ids }));
  else throw bad('prompt', 'must be a string, a list of strings, a list of token ids or a list of such lists (non-empty)');
  if (out.length > limits.maxPrompts) throw bad('prompt', `at most ${limits.maxPrompts} prompts per request, got ${out.length}`);
  for (const p of out) {
    if (p.kind !== 'ids') continue;
    for (const id of p.ids) {
      if (!Number.isInteger(id) || id < 0 || id >= limits.vocabSize) throw bad('prompt', `token id ${id} is outside the vocabulary [0, ${limits.vocabSize})`);
    }
  }
  return out;
}

export interface ChatTurn {
  role: string;
  content: string;
}

/** Chat `messages`: roles system/user/assistant/tool, content a string or a list of text parts. */
export function parseMessages(v: unknown): ChatTurn[] {
  if (!Array.isArray(v) || v.length === 0) throw bad('messages', 'must be a non-empty list of {role, content}');
  return v.map((m, i) => {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw bad(`messages[${i}]`, 'must be an object {role, content}');
    const o = m as Record<string, unknown>;
    const role = o['role'];
    if (typeof role !== 'string' || !['system', 'developer', 'user', 'assistant', 'tool'].includes(role)) {
      throw bad(`messages[${i}].role`, `must be one of system, developer, user, assistant, tool; got ${JSON.stringify(role)}`);
    }
    const c = o['content'];
    let content: string;
    if (typeof c === 'string') content = c;
    else if (c === null || c === undefined) content = '';
    else if (Array.isArray(c)) {
      content = c.map((part, j) => {
        const p = part as Record<string, unknown> | null;
        if (!p || typeof p !== 'object' || p['type'] !== 'text' || typeof p['text'] !== 'string') {
          throw bad(`messages[${i}].content[${j}]`, 'only {"type": "text", "text": ...} parts are supported');
        }
        return p['text'] as string;
      }).join('');
    } else throw bad(`messages[${i}].content`, 'must be a string or a list of text parts');
    return { role: role === 'developer' ? 'system' : role, content };
  });
}
