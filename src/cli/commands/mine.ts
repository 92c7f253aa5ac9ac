/**
 * `longrl mine --model M --data F -n G --out difficulties.jsonl`: the offline
 * difficulty pass (qwenlong-recipe.md §10): G samples per record from the model,
 * scored with the hybrid reward (rule; the judge too when --judge-url is given), one
 * row `{id, mean_reward, difficulty, rewards}` per record. Rows are appended as they
 * are made; rerunning the same command resumes after the last complete row.
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { JsonlWriter } from '../../util/jsonl.ts';
import { readRecords } from '../../data/io/index.ts';
import { goldAnswers, SkipCounter, type DocQARecord } from '../../data/record.ts';
import { promptMessages, renderPrompt } from '../../data/prompt.ts';
import { mineDifficulties, readDifficultyRows } from '../../data/mine.ts';
import { LocalPolicy } from '../../policy/local.ts';
import { loadTokenizer } from '../../tokenizer/load.ts';
import { hybridReward } from '../../reward/hybrid.ts';
import { createJudge } from '../../reward/judge.ts';

interface MineOpts {
  model: string;
  data: string;
  n: string;
  out: string;
  temperature: string;
  topP: string;
  topK: string;
  maxTokens: string;
  seed: string;
  skipInvalid?: boolean;
  judgeUrl?: string;
  judgeModel?: string;
  threads?: string;
}

function num(s: string, flag: string, check: (x: number) => boolean): number {
  const x = Number(s);
  if (!Number.isFinite(x) || !check(x)) throw new UserError(`${flag}: invalid value "${s}"`);
  return x;
}

export function register(program: Command): void {
  program
    .command('mine')
    .description('offline difficulty mining: sample G responses per record and score them')
    .requiredOption('--model <dir>', 'model folder (config.json, safetensors, tokenizer)')
    .requiredOption('--data <file>', 'records (.jsonl or .parquet)')
    .requiredOption('-n, --n <G>', 'samples per record')
    .requiredOption('--out <file>', 'difficulties .jsonl (appended to: a rerun resumes)')
    .option('--temperature <t>', 'sampling temperature', '1')
    .option('--top-p <p>', 'nucleus mass', '1')
    .option('--top-k <k>', 'top-k (-1 off)', '-1')
    .option('--max-tokens <n>', 'response cap in tokens', '1024')
    .option('--seed <s>', 'sampling seed', '1')
    .option('--skip-invalid', 'skip invalid records and count them instead of stopping')
    .option('--judge-url <url>', 'OpenAI-compatible judge server (rule-only without it)')
    .option('--judge-model <name>', 'judge model name')
    .option('--threads <n>', 'kernel threads')
    .action(async (o: MineOpts) => {
      const n = num(o.n, '-n', (x) => Number.isInteger(x) && x >= 1);
      if (o.judgeUrl && !o.judgeModel) throw new UserError('--judge-url needs --judge-model');
      const skipped = new SkipCounter();
      const records: DocQARecord[] = await readRecords(o.data, { skipInvalid: o.skipInvalid ?? false, skipped });
      if (skipped.count > 0) process.stderr.write(`skipped ${skipped.count} invalid record(s); first: ${skipped.examples.join(' | ')}\n`);
      const tok = loadTokenizer(o.model);
      const policy = LocalPolicy.fromFolder(o.model, o.threads ? { threads: num(o.threads, '--threads', (x) => Number.isInteger(x) && x >= 1) } : {});
      const judge = o.judgeUrl ? createJudge({ url: o.judgeUrl, model: o.judgeModel as string }) : null;
      const eos = new Set(tok.eosTokenIds);
      const done = new Set(existsSync(o.out) ? readDifficultyRows(o.out).map((r) => r.id) : []);
      const writer = new JsonlWriter(o.out);
      const render = (r: DocQARecord) => tok.encode(tok.applyChatTemplate(promptMessages(r), { addGenerationPrompt: true }));
      try {
        const rows = await mineDifficulties({
          policy,
          records,
          n,
          sampleParams: {
            temperature: num(o.temperature, '--temperature', (x) => x >= 0),
            topP: num(o.topP, '--top-p', (x) => x > 0 && x <= 1),
            topK: num(o.topK, '--top-k', Number.isInteger),
            maxTokens: num(o.maxTokens, '--max-tokens', (x) => Number.isInteger(x) && x >= 1),
            stopTokenIds: tok.eosTokenIds,
            seed: num(o.seed, '--seed', Number.isInteger),
          },
          render,
          reward: async (r, samples) => {
            const gold = goldAnswers(r);
            const batch = await hybridReward(
              samples.map((s) => ({
                dataSource: r.data_source,
                // The reference reward manager strips a trailing EOS before scoring.
                response: tok.decode(eos.has(s.tokens[s.tokens.length - 1] ?? -1) ? s.tokens.slice(0, -1) : s.tokens, { skipSpecialTokens: false }),
                groundTruth: gold,
                question: r.question,
                prompt: renderPrompt(r),
              })),
              { judge },
            );
            return batch.results.map((x) => x.score);
          },
          skip: done,
          onRow: (row, i, total) => {
            writer.write(row);
            if (process.stderr.isTTY) process.stderr.write(`\rmine ${i}/${total}`);
          },
        });
        if (process.stderr.isTTY) process.stderr.write('\n');
        const hard = rows.filter((r) => r.mean_reward === 0).length;
        process.stdout.write(`${JSON.stringify({ out: o.out, mined: rows.length, resumed_skip: done.size, hard })}\n`);
      } finally {
        writer.close();
      }
    });
}
