/**
 * A teacher from a local longrl model folder (`LocalPolicy.fromFolder`): the record's
 * messages go through the folder's chat template and tokenizer, K replies are sampled with
 * the record's seed (sharing the prompt's prefill), and decoded with special tokens kept so
 * that `<think>` blocks survive (a trailing end-of-turn token is dropped, as the reference
 * reward manager does). Sampling runs one record at a time: the engine already uses every
 * core, so concurrency would only interleave.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LocalPolicy } from '../policy/local.ts';
import { loadTokenizer, type TextTokenizer } from '../tokenizer/load.ts';
import { Semaphore } from '../reward/semaphore.ts';
import { UserError } from '../util/errors.ts';
import type { Teacher, TeacherRequest, TeacherResult } from './teacher.ts';

export interface LocalTeacherOptions {
  dir: string;
  /** Kernel threads (default: the engine's). */
  threads?: number;
  /** top-k of sampling (-1 = off). */
  topK?: number;
}

export interface LocalTeacher extends Teacher {
  readonly tokenizer: TextTokenizer;
}

export function createLocalTeacher(opts: LocalTeacherOptions): LocalTeacher {
  if (!existsSync(join(opts.dir, 'config.json'))) {
    throw new UserError(`--teacher "${opts.dir}": not a model folder (no config.json); use a longrl/Hugging Face model folder or openai:URL#MODEL`);
  }
  if (!existsSync(join(opts.dir, 'tokenizer.json'))) {
    throw new UserError(`--teacher "${opts.dir}": the folder has no tokenizer.json (a local teacher needs its tokenizer to render prompts)`);
  }
  const tokenizer = loadTokenizer(opts.dir);
  const policy = LocalPolicy.fromFolder(opts.dir, opts.threads !== undefined ? { threads: opts.threads } : {});
  const eos = new Set(tokenizer.eosTokenIds);
  const one = new Semaphore(1);
  let calls = 0;
  const name = opts.dir.replace(/\/+$/, '').split('/').pop() ?? opts.dir;

  async function sample(req: TeacherRequest): Promise<TeacherResult> {
    return one.run(async () => {
      calls++;
      const prompt = tokenizer.encode(tokenizer.applyChatTemplate(req.messages, { addGenerationPrompt: true }));
      const [seqs] = await policy.sample([prompt], {
        n: req.n,
        temperature: req.temperature,
        topP: req.topP,
        topK: opts.topK ?? -1,
        maxTokens: req.maxTokens,
        stopTokenIds: tokenizer.eosTokenIds,
        seed: req.seed,
      });
      const replies = (seqs ?? []).map((s) => {
        const ids = eos.has(s.tokens[s.tokens.length - 1] ?? -1) ? s.tokens.slice(0, -1) : s.tokens;
        return { content: tokenizer.decode(ids, { skipSpecialTokens: false }), reasoningContent: null, finishReason: s.finishReason };
      });
      const completionTokens = (seqs ?? []).reduce((a, s) => a + s.tokens.length, 0);
      return { replies, promptTokens: prompt.length, completionTokens, attempts: 1 };
    });
  }

  return {
    name,
    kind: 'local',
    tokenizer,
    sample,
    counters: () => ({ 'teacher/sample_calls': calls }),
    close: async () => {},
  };
}
