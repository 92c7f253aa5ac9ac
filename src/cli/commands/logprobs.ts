/**
 * `longrl logprobs --model DIR (--text T | --tokens-file F) [--out F.json] [--logits]`
 * (contracts §4): `{"tokens": [...], "logprobs": [...]}` with
 * logprobs[i] = log p(tokens[i+1] | tokens[0..i]) (length n-1, full float32 precision),
 * plus `"last_logits"` (raw logits of the last position) with --logits. Text is encoded
 * with the model folder's tokenizer as `encode(text, add_special_tokens=False)`.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { writeFileAtomic } from '../../util/fsx.ts';
import { loadTokenizer } from '../../tokenizer/index.ts';
import { readModelConfig } from '../../model/config.ts';
import { readModelWeights } from '../../model/safetensors.ts';
import { ModelWeights } from '../../model/weights.ts';
import { QwenModel } from '../../model/qwen.ts';
import { getKernels } from '../../engine/index.ts';

/** Reads a JSON array of token ids (or `{"tokens": [...]}`). */
export function readTokensFile(path: string): number[] {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`cannot read token ids from ${path}: ${(err as Error).message}`);
  }
  if (v && typeof v === 'object' && !Array.isArray(v) && Array.isArray((v as { tokens?: unknown }).tokens)) v = (v as { tokens: unknown }).tokens;
  if (!Array.isArray(v)) throw new UserError(`${path}: expected a JSON array of token ids`);
  return v.map((x, i) => {
    if (!Number.isInteger(x) || (x as number) < 0) throw new UserError(`${path}: element ${i} is not a non-negative integer token id: ${JSON.stringify(x)}`);
    return x as number;
  });
}

/** log p(tokens[i+1] | tokens[..i]) for i < n-1, and the last position's logits. */
export function computeLogprobs(model: QwenModel, tokens: readonly number[], withLogits: boolean): { logprobs: number[]; lastLogits: number[] | null } {
  const ids = Int32Array.from(tokens);
  const targets = new Int32Array(ids.length).fill(-1);
  targets.set(ids.subarray(1));
  const r = model.forwardSequence(ids, targets, null);
  const logprobs = Array.from(r.logprobs.subarray(0, Math.max(0, ids.length - 1)));
  return { logprobs, lastLogits: withLogits ? Array.from(model.lastLogits(ids)) : null };
}

export function register(program: Command): void {
  program
    .command('logprobs')
    .description('per-token log-probabilities of a text or token ids')
    .requiredOption('--model <dir>', 'Hugging Face model folder (config.json + safetensors)')
    .option('--text <text>', 'text to score (needs the folder\'s tokenizer.json)')
    .option('--tokens-file <file>', 'JSON array of token ids')
    .option('--out <file>', 'write the JSON here instead of stdout')
    .option('--logits', 'also output the raw logits of the last position as "last_logits"')
    .option('--threads <n>', 'kernel worker threads', (v) => Number.parseInt(v, 10))
    .action((opts: { model: string; text?: string; tokensFile?: string; out?: string; logits?: boolean; threads?: number }) => {
      if ((opts.text === undefined) === (opts.tokensFile === undefined)) throw new UserError('give exactly one of --text and --tokens-file');
      const tokens = opts.text !== undefined ? loadTokenizer(opts.model).encode(opts.text) : readTokensFile(opts.tokensFile!);
      if (tokens.length === 0) throw new UserError('no tokens to score');
      const cfg = readModelConfig(opts.model);
      for (const [i, t] of tokens.entries()) if (t >= cfg.vocabSize) throw new UserError(`token ${t} at index ${i} is outside the model's vocabulary [0, ${cfg.vocabSize})`);
      if (opts.threads !== undefined) getKernels().setThreads(opts.threads);
      const model = new QwenModel(ModelWeights.fromTensors(cfg, readModelWeights(opts.model), opts.model));
      const { logprobs, lastLogits } = computeLogprobs(model, tokens, !!opts.logits);
      const out: Record<string, unknown> = { tokens, logprobs };
      if (lastLogits) out['last_logits'] = lastLogits;
      const text = JSON.stringify(out) + '\n';
      if (opts.out) writeFileAtomic(opts.out, text);
      else process.stdout.write(text);
    });
}
