/**
 * `longrl distill`: warm-up SFT data from a teacher with rejection sampling (issue 9).
 *
 *   longrl distill --teacher openai:http://127.0.0.1:8000/v1#deepseek-r1 --data train.jsonl \
 *     -n 4 --keep 1 --max-input-tokens 20000 --max-output-tokens 10000 --tokenizer TOKDIR --out sft.jsonl
 *   longrl distill --teacher ./my-model --data train.jsonl --out sft.jsonl
 *
 * Writes `sft.jsonl` (DocQA records with `trace`, `teacher`, `scores`; input order),
 * `sft.jsonl.summary.json`, and keeps `sft.jsonl.progress.jsonl` so that rerunning the same
 * command after an interruption continues where it stopped without asking the teacher
 * again for finished records.
 */
import type { Command } from 'commander';
import { UserError } from '../../util/errors.ts';
import { readRecords } from '../../data/io/index.ts';
import { SkipCounter } from '../../data/record.ts';
import type { TokenCounter } from '../../data/tokens.ts';
import { loadTokenizer, type TextTokenizer } from '../../tokenizer/load.ts';
import { createJudge } from '../../reward/judge.ts';
import { ProgressBar } from '../../observe/progress.ts';
import { recordLengths, tokenizerFingerprint } from '../../data/lengths.ts';
import { distill, summaryPath } from '../../distill/run.ts';
import { parseTeacherSpec, type Teacher } from '../../distill/teacher.ts';
import { createOpenAITeacher } from '../../distill/openai-teacher.ts';
import { formatSummaryTable } from '../../distill/summary.ts';

interface DistillFlags {
  teacher: string;
  data: string;
  n: string;
  keep: string;
  maxInputTokens?: string;
  maxOutputTokens: string;
  tokenizer?: string;
  concurrency: string;
  judgeUrl?: string;
  judgeModel?: string;
  judgeApiKey?: string;
  out: string;
  temperature: string;
  topP: string;
  topK: string;
  seed: string;
  timeout: string;
  retries: string;
  retryBaseMs: string;
  apiKey?: string;
  extraBody?: string;
  threads?: string;
  skipInvalid?: boolean;
  allowNoReasoning?: boolean;
  withPrompt?: boolean;
  progress: boolean;
}

function num(flag: string, v: string, check: (x: number) => boolean, what: string): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || !check(x)) throw new UserError(`${flag} must be ${what} (got "${v}")`);
  return x;
}
const int = (flag: string, v: string, min: number): number => num(flag, v, (x) => Number.isInteger(x) && x >= min, `an integer >= ${min}`);

function chatCounter(tok: TextTokenizer): TokenCounter {
  return { encode: (t) => tok.encode(t), renderChat: (m) => tok.applyChatTemplate(m, { addGenerationPrompt: true }) };
}

export function register(program: Command): void {
  program
    .command('distill')
    .description('warm-up SFT data from a teacher with rejection sampling')
    .requiredOption('--teacher <spec>', 'openai:URL#MODEL (OpenAI-compatible endpoint) or a local model folder')
    .requiredOption('--data <file>', 'DocQA records (.jsonl or .parquet)')
    .requiredOption('--out <file>', 'SFT records .jsonl (also <out>.summary.json and <out>.progress.jsonl)')
    .option('-n, --n <K>', 'replies sampled per record', '4')
    .option('--keep <k>', 'correct replies kept per record at most (shortest first)', '1')
    .option('--max-input-tokens <N>', 'drop records whose rendered prompt exceeds N tokens (needs a tokenizer)')
    .option('--max-output-tokens <M>', 'max_tokens per reply; replies cut off at it are dropped', '10000')
    .option('--tokenizer <dir>', "tokenizer folder (the teacher's) for the input budget and trace lengths in tokens")
    .option('--concurrency <C>', 'records (and teacher requests) in flight at most', '8')
    .option('--judge-url <url>', 'OpenAI-compatible judge for the hybrid reward (rule only without it)')
    .option('--judge-model <name>', 'judge model name')
    .option('--judge-api-key <key>', 'bearer token for the judge')
    .option('--temperature <t>', 'sampling temperature', '0.6')
    .option('--top-p <p>', 'nucleus mass', '0.95')
    .option('--top-k <k>', 'top-k for a local teacher (-1 off)', '-1')
    .option('--seed <s>', 'run seed (each record samples with a seed derived from it and its id)', '0')
    .option('--timeout <seconds>', 'per-request timeout of the teacher', '600')
    .option('--retries <r>', 'retries per teacher request (429, 5xx, time-outs, dropped connections, malformed replies)', '5')
    .option('--retry-base-ms <ms>', 'first retry delay (doubles per retry, with jitter; Retry-After wins)', '1000')
    .option('--api-key <key>', 'bearer token for the teacher (default: $OPENAI_API_KEY)')
    .option('--extra-body <json>', 'extra request fields for the teacher, e.g. \'{"top_k": 20, "min_p": 0}\'')
    .option('--threads <n>', 'kernel threads for a local teacher')
    .option('--skip-invalid', 'skip invalid records and count them instead of stopping')
    .option('--allow-no-reasoning', 'keep correct replies that carry no reasoning (empty think block)')
    .option('--with-prompt', 'also write the chat prompt as "prompt" ([{role: "user", content}]) for prompt/completion trainers')
    .option('--no-progress', 'no progress bar')
    .action(async (o: DistillFlags) => {
      const n = int('-n', o.n, 1);
      const keep = int('--keep', o.keep, 1);
      const maxOutputTokens = int('--max-output-tokens', o.maxOutputTokens, 1);
      const maxInputTokens = o.maxInputTokens !== undefined ? int('--max-input-tokens', o.maxInputTokens, 1) : undefined;
      const concurrency = int('--concurrency', o.concurrency, 1);
      const temperature = num('--temperature', o.temperature, (x) => x >= 0, 'a number >= 0');
      const topP = num('--top-p', o.topP, (x) => x > 0 && x <= 1, 'in (0, 1]');
      const topK = num('--top-k', o.topK, Number.isInteger, 'an integer');
      const seed = int('--seed', o.seed, 0);
      const timeoutMs = num('--timeout', o.timeout, (x) => x > 0, 'a number of seconds > 0') * 1000;
      const retries = int('--retries', o.retries, 0);
      const retryBaseMs = num('--retry-base-ms', o.retryBaseMs, (x) => x >= 0, 'a number >= 0');
      if (o.judgeUrl && !o.judgeModel) throw new UserError('--judge-url needs --judge-model');
      if (o.judgeModel && !o.judgeUrl) throw new UserError('--judge-model needs --judge-url');

      const skipped = new SkipCounter();
      const records = await readRecords(o.data, { skipInvalid: o.skipInvalid ?? false, skipped });
      if (skipped.count > 0) process.stderr.write(`skipped ${skipped.count} invalid record(s); first: ${skipped.examples.join(' | ')}\n`);

      const spec = parseTeacherSpec(o.teacher);
      let teacher: Teacher;
      let tok: TextTokenizer | null = o.tokenizer ? loadTokenizer(o.tokenizer) : null;
      let tokDir: string | null = o.tokenizer ?? null;
      if (spec.kind === 'openai') {
        const apiKey = o.apiKey ?? process.env['OPENAI_API_KEY'];
        let extraBody: Record<string, unknown> | undefined;
        if (o.extraBody !== undefined) {
          try {
            extraBody = JSON.parse(o.extraBody) as Record<string, unknown>;
          } catch (err) {
            throw new UserError(`--extra-body is not valid JSON: ${(err as Error).message}`);
          }
          if (typeof extraBody !== 'object' || extraBody === null || Array.isArray(extraBody)) throw new UserError('--extra-body must be a JSON object, e.g. \'{"top_k": 20}\'');
        }
        teacher = createOpenAITeacher({
          url: spec.url, model: spec.model, concurrency, timeoutMs, maxRetries: retries, backoffBaseMs: retryBaseMs,
          ...(apiKey ? { apiKey } : {}),
          ...(extraBody ? { extraBody } : {}),
        });
      } else {
        // Loaded only here: the engine and model code are not needed for an endpoint teacher.
        const { createLocalTeacher } = await import('../../distill/local-teacher.ts');
        const local = createLocalTeacher({ dir: spec.dir, topK, ...(o.threads ? { threads: int('--threads', o.threads, 1) } : {}) });
        if (!tok) {
          tok = local.tokenizer;
          tokDir = spec.dir;
        }
        teacher = local;
      }
      const judge = o.judgeUrl
        ? createJudge({ url: o.judgeUrl, model: o.judgeModel as string, concurrency, cachePath: `${o.out}.judge-cache.jsonl`, ...(o.judgeApiKey ? { apiKey: o.judgeApiKey } : {}) })
        : null;

      // Prompt lengths for the budget, cached beside the data as the curriculum caches them.
      let promptLengths: Map<string, number> | undefined;
      if (maxInputTokens !== undefined && tok && tokDir) {
        promptLengths = recordLengths(records, chatCounter(tok), { dataPath: o.data, tokenizer: tokenizerFingerprint(tokDir) }).lengths;
      }
      let bar: ProgressBar | null = null;
      try {
        const { summary, written } = await distill({
          teacher, records, n, keep, maxOutputTokens, temperature, topP, seed, concurrency, judge, out: o.out, dataPath: o.data,
          requireReasoning: !o.allowNoReasoning,
          withPrompt: o.withPrompt ?? false,
          ...(maxInputTokens !== undefined ? { maxInputTokens } : {}),
          ...(promptLengths ? { promptLengths } : {}),
          ...(tok ? { counter: chatCounter(tok) } : {}),
          onStart: (todo, resumed, overBudget) => {
            process.stderr.write(`distill: ${todo} record(s) to ask, ${resumed} already done (resumed), ${overBudget} over the input budget\n`);
            if (o.progress && todo > 0) bar = new ProgressBar({ label: 'distill', total: todo, unit: 'rec' });
          },
          onProgress: (done, _total, note) => bar?.set(done, note),
          onError: (id, msg) => process.stderr.write(`\n${msg}\n`),
        });
        (bar as ProgressBar | null)?.finish();
        process.stdout.write(formatSummaryTable(summary));
        process.stdout.write(`wrote ${written} SFT records to ${o.out}; summary ${summaryPath(o.out)}\n`);
        if (summary.failed > 0) process.stderr.write(`${summary.failed} record(s) failed after retries; rerun the same command to retry them\n`);
      } finally {
        judge?.close();
        await teacher.close();
      }
    });
}
