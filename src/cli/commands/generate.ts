/**
 * `longrl generate --model DIR (--prompt P | --tokens-file F) [-n N] [--max-tokens M]
 * [--temperature T] [--top-p P] [--top-k K] [--seed S] [--chat] [--stop S ...] [--json]`:
 * samples completions with the local engine (n samples share one prefill). Stops at the
 * model's EOS ids (config, generation_config and tokenizer). Prints each completion's text,
 * or with --json one line per sample `{"index", "text", "tokens", "logprobs", "finish_reason"}`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { readJsonFile } from '../../util/fsx.ts';
import { loadTokenizer, type TextTokenizer } from '../../tokenizer/index.ts';
import { LocalPolicy } from '../../policy/local.ts';
import { readTokensFile } from './logprobs.ts';

interface GenerateOpts {
  model: string; prompt?: string; tokensFile?: string; n: string; maxTokens: string; temperature: string; topP: string; topK: string;
  seed: string; chat?: boolean; stop?: string[]; json?: boolean; threads?: string; thinking?: boolean;
}

function num(v: string, flag: string, int = false): number {
  const x = Number(v);
  if (!Number.isFinite(x) || (int && !Number.isInteger(x))) throw new UserError(`${flag} must be ${int ? 'an integer' : 'a number'}, got "${v}"`);
  return x;
}

export function register(program: Command): void {
  program
    .command('generate')
    .description('sample completions from a model')
    .requiredOption('--model <dir>', 'Hugging Face model folder')
    .option('--prompt <text>', 'prompt text (needs the folder\'s tokenizer)')
    .option('--tokens-file <file>', 'prompt as a JSON array of token ids')
    .option('-n, --n <n>', 'samples (they share one prefill)', '1')
    .option('--max-tokens <m>', 'most new tokens per sample', '128')
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', '1')
    .option('--top-p <p>', 'nucleus mass (1 disables)', '1')
    .option('--top-k <k>', 'keep the k most likely tokens (0 disables)', '0')
    .option('--seed <s>', 'random seed', '0')
    .option('--chat', 'wrap the prompt as one user message with the chat template')
    .option('--no-thinking', 'with --chat: pass enable_thinking=false to the template')
    .option('--stop <s...>', 'stop strings')
    .option('--json', 'one JSON line per sample')
    .option('--threads <n>', 'kernel worker threads')
    .action(async (o: GenerateOpts) => {
      if ((o.prompt === undefined) === (o.tokensFile === undefined)) throw new UserError('give exactly one of --prompt and --tokens-file');
      const hasTok = existsSync(join(o.model, 'tokenizer.json'));
      const tok: TextTokenizer | null = hasTok ? loadTokenizer(o.model) : null;
      let ids: number[];
      if (o.prompt !== undefined) {
        if (!tok) throw new UserError(`${o.model} has no tokenizer.json: use --tokens-file`);
        const text = o.chat
          ? tok.applyChatTemplate([{ role: 'user', content: o.prompt }], { addGenerationPrompt: true, ...(o.thinking === false ? { enableThinking: false } : {}) })
          : o.prompt;
        ids = tok.encode(text);
      } else ids = readTokensFile(o.tokensFile!);
      const policy = LocalPolicy.fromFolder(o.model, o.threads !== undefined ? { threads: num(o.threads, '--threads', true) } : {});
      const eos = new Set<number>(policy.config.eosTokenIds);
      for (const id of tok?.eosTokenIds ?? []) eos.add(id);
      const gcPath = join(o.model, 'generation_config.json');
      if (existsSync(gcPath)) {
        const g = readJsonFile<{ eos_token_id?: number | number[] }>(gcPath).eos_token_id;
        for (const id of Array.isArray(g) ? g : g !== undefined ? [g] : []) eos.add(id);
      }
      const res = await policy.sample([ids], {
        n: num(o.n, '-n', true), maxTokens: num(o.maxTokens, '--max-tokens', true), temperature: num(o.temperature, '--temperature'),
        topP: num(o.topP, '--top-p'), topK: num(o.topK, '--top-k', true), seed: num(o.seed, '--seed', true),
        stopTokenIds: [...eos], ...(o.stop ? { stopStrings: o.stop } : {}),
      });
      res[0]!.forEach((s, index) => {
        const text = tok ? tok.decode(s.tokens, { skipSpecialTokens: true }) : s.tokens.join(' ');
        if (o.json) process.stdout.write(JSON.stringify({ index, text, tokens: s.tokens, logprobs: s.logprobs, finish_reason: s.finishReason }) + '\n');
        else process.stdout.write(`${res[0]!.length > 1 ? `--- sample ${index} (${s.finishReason})\n` : ''}${text}\n`);
      });
    });
}
