/**
 * The teacher seam of distillation: given a record's chat messages, return K sampled
 * replies with their reasoning, finish reasons and token usage. Two implementations:
 * an OpenAI-compatible endpoint (`openai-teacher.ts`) and a local longrl model folder
 * (`local-teacher.ts`). `--teacher openai:URL#MODEL | DIR` picks one (`parseTeacherSpec`).
 */
import type { PromptMessage } from '../data/record.ts';
import { UserError } from '../util/errors.ts';

export interface TeacherRequest {
  /** Record id (for per-record seeds and error messages). */
  id: string;
  messages: PromptMessage[];
  /** Replies wanted (K). */
  n: number;
  maxTokens: number;
  temperature: number;
  topP: number;
  /** The record's sampling seed (same record, same seed, whatever the run order). */
  seed: number;
}

/** One sampled reply. */
export interface TeacherReply {
  /** `message.content` (for a local teacher: the decoded text). */
  content: string;
  /** `message.reasoning_content` (or `reasoning`) when the endpoint returned one. */
  reasoningContent: string | null;
  /** `stop`, `length`, ... as the endpoint said; null when it did not say. */
  finishReason: string | null;
}

export interface TeacherResult {
  replies: TeacherReply[];
  /** Tokens billed: prompt and completion, summed over the requests that answered. */
  promptTokens: number;
  completionTokens: number;
  /** HTTP attempts (or local sample calls) spent on this record. */
  attempts: number;
}

export interface Teacher {
  /** What goes into each output record's `teacher.name` (e.g. the served model name). */
  readonly name: string;
  /** `openai` or `local`. */
  readonly kind: 'openai' | 'local';
  /** Samples K replies; throws a TeacherError when the teacher fails for good. */
  sample(req: TeacherRequest): Promise<TeacherResult>;
  /** Counter snapshot (`teacher/requests`, `teacher/retries`, `teacher/http_429`, ...). */
  counters(): Record<string, number>;
  close(): Promise<void>;
}

/** The teacher failed for good on one record (after retries); the run goes on. */
export class TeacherError extends Error {
  override readonly name = 'TeacherError';
}

export type TeacherSpec = { kind: 'openai'; url: string; model: string } | { kind: 'local'; dir: string };

/** `openai:URL#MODEL` → endpoint and model; anything else is a model folder. */
export function parseTeacherSpec(spec: string): TeacherSpec {
  if (spec.startsWith('openai:')) {
    const rest = spec.slice('openai:'.length);
    const hash = rest.lastIndexOf('#');
    if (hash <= 0 || hash === rest.length - 1) {
      throw new UserError(`--teacher "${spec}": expected openai:URL#MODEL, e.g. openai:http://127.0.0.1:8000/v1#deepseek-r1`);
    }
    const url = rest.slice(0, hash);
    try {
      new URL(url);
    } catch {
      throw new UserError(`--teacher "${spec}": "${url}" is not a valid URL`);
    }
    return { kind: 'openai', url, model: rest.slice(hash + 1) };
  }
  return { kind: 'local', dir: spec };
}
