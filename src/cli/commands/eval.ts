/**
 * `longrl eval --model (DIR | openai:URL#MODEL) --bench NAME[,NAME] [--data F ...]
 * [--max-input-tokens N] [--max-new-tokens M] [-n SAMPLES] [--temperature T] [--top-p P]
 * [--seed S] [--judge-url U --judge-model M] [--out DIR] [--limit K]`: runs benchmarks
 * (docmath, frames, 2wikimqa, hotpotqa, musique, narrativeqa, qasper or `longbench` for
 * all five, longbench-v2, synth) and prints the results table. Rerunning with the same
 * --out resumes an interrupted run.
 */
import { CommanderError, type Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { createJudge } from '../../reward/judge.ts';
import { BENCHMARKS, parseBenchList, resolveData } from '../../eval/benchmarks.ts';
import { localModel, openAIModel, parseOpenAISpec } from '../../eval/backends.ts';
import { runEval } from '../../eval/runner.ts';
import { resultsMarkdown } from '../../eval/results.ts';
import { readJsonFile } from '../../util/fsx.ts';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';

interface EvalCliOpts {
  model: string; bench: string; data: string[]; maxInputTokens?: string; maxNewTokens: string; n: string; temperature: string; topP: string;
  seed: string; judgeUrl?: string; judgeModel?: string; judgeKey?: string; out: string; limit?: string; api: string; apiKey?: string;
  concurrency: string; tokenizer?: string; threads?: string; wiki?: string; json?: boolean; quiet?: boolean; retries: string;
}

function num(v: string, flag: string, o: { int?: boolean; min?: number } = {}): number {
  const x = Number(v);
  if (!Number.isFinite(x) || (o.int && !Number.isInteger(x)) || (o.min !== undefined && x < o.min)) {
    throw new UserError(`${flag} must be ${o.int ? 'an integer' : 'a number'}${o.min !== undefined ? ` >= ${o.min}` : ''}, got "${v}"`);
  }
  return x;
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('evaluate a model on long-document QA benchmarks (resumable)')
    .requiredOption('--model <spec>', 'model folder, or openai:http://host:port/v1#model-name')
    .requiredOption('--bench <list>', `benchmarks, comma-separated: ${Object.keys(BENCHMARKS).join(', ')}, longbench (= the five v1 QA tasks)`)
    .option('--data <path...>', 'data file (one benchmark), NAME=FILE pairs, or a folder holding the benchmarks\' files', [])
    .option('--max-input-tokens <n>', 'budget of the prompt in tokens, middle truncation (default 120000, capped by the model\'s context minus --max-new-tokens)')
    .option('--max-new-tokens <m>', 'most generated tokens per sample', '10000')
    .option('-n, --n <k>', 'samples per item (pass@k when > 1)', '1')
    .option('--temperature <t>', 'sampling temperature', '0.7')
    .option('--top-p <p>', 'nucleus mass', '0.95')
    .option('--seed <s>', 'run seed (each item derives its own)', '0')
    .option('--judge-url <url>', 'OpenAI-compatible server of the LLM judge (score = max(rule, judge))')
    .option('--judge-model <name>', 'judge model name')
    .option('--judge-key <key>', 'judge API key')
    .option('--out <dir>', 'output folder (rerun with the same folder to resume)', 'eval-out')
    .option('--limit <k>', 'first K items per benchmark')
    .option('--api <kind>', 'endpoint API for openai: models: chat or completions', 'chat')
    .option('--api-key <key>', 'API key of the openai: endpoint')
    .option('--concurrency <n>', 'requests in flight to an openai: endpoint', '8')
    .option('--retries <n>', 'retries per request to an openai: endpoint', '4')
    .option('--tokenizer <dir>', 'tokenizer folder for truncation with an openai: endpoint')
    .option('--threads <n>', 'kernel worker threads (local model)')
    .option('--wiki <file>', 'FRAMES articles, JSONL {url|title, text}')
    .option('--json', 'print results.json instead of the Markdown table')
    .option('--quiet', 'no progress lines')
    .action(async (o: EvalCliOpts) => {
      const benches = parseBenchList(o.bench);
      const data = resolveData(benches, o.data);
      const maxNewTokens = num(o.maxNewTokens, '--max-new-tokens', { int: true, min: 1 });
      const endpoint = parseOpenAISpec(o.model);
      const model = endpoint
        ? openAIModel(o.model, {
          api: o.api === 'completions' ? 'completions' : o.api === 'chat' ? 'chat' : (() => { throw new UserError(`--api must be chat or completions, got "${o.api}"`); })(),
          concurrency: num(o.concurrency, '--concurrency', { int: true, min: 1 }), maxRetries: num(o.retries, '--retries', { int: true, min: 0 }),
          ...(o.apiKey ? { apiKey: o.apiKey } : {}), ...(o.tokenizer ? { tokenizerDir: o.tokenizer } : {}),
        })
        : localModel(o.model, o.threads ? { threads: num(o.threads, '--threads', { int: true, min: 1 }) } : {});
      let maxInput = o.maxInputTokens !== undefined ? num(o.maxInputTokens, '--max-input-tokens', { int: true, min: 1 }) : 120_000;
      if (!endpoint && o.maxInputTokens === undefined) {
        const ctx = readJsonFile<{ max_position_embeddings?: number }>(join(o.model, 'config.json')).max_position_embeddings;
        if (typeof ctx === 'number') maxInput = Math.max(1, Math.min(maxInput, ctx - maxNewTokens - 64));
      }
      if (endpoint && !model.tokenizer) process.stderr.write('note: no --tokenizer for the endpoint, so prompts are not truncated\n');
      if ((o.judgeUrl === undefined) !== (o.judgeModel === undefined)) throw new UserError('give both --judge-url and --judge-model, or neither');
      mkdirSync(o.out, { recursive: true });
      const judge = o.judgeUrl ? createJudge({ url: o.judgeUrl, model: o.judgeModel!, seed: 42, cachePath: join(o.out, 'judge-cache.jsonl'), ...(o.judgeKey ? { apiKey: o.judgeKey } : {}) }) : null;
      try {
        const results = await runEval({
          model, data, outDir: o.out, n: num(o.n, '-n', { int: true, min: 1 }), temperature: num(o.temperature, '--temperature', { min: 0 }),
          topP: num(o.topP, '--top-p'), maxNewTokens, maxInputTokens: maxInput, seed: num(o.seed, '--seed', { int: true, min: 0 }),
          judge, ...(o.limit ? { limit: num(o.limit, '--limit', { int: true, min: 1 }) } : {}), ...(o.wiki ? { wiki: o.wiki } : {}),
          ...(o.quiet ? {} : { log: (l: string) => process.stderr.write(l + '\n') }),
        });
        process.stdout.write(o.json ? JSON.stringify(results) + '\n' : resultsMarkdown(results));
        process.stdout.write(`Results: ${join(o.out, 'results.json')}\n`);
        const failed = results.benchmarks.filter((b) => b.failed > 0);
        if (failed.length > 0) {
          // Incomplete: say so and exit 1; rerunning the same command retries only these items.
          process.stderr.write(`${failed.map((b) => `${b.bench}: ${b.failed} items failed (${join(o.out, `${b.bench}.errors.jsonl`)})`).join('\n')}\nrerun the same command to retry them\n`);
          throw new CommanderError(1, 'longrl.eval.incomplete', 'some items failed');
        }
      } finally {
        judge?.close();
      }
    });
}
