/**
 * `longrl reward`: scores responses with the hybrid reward and prints its parts
 * (contracts.md §4): one JSON line per response, in input order, with `rule`, `judge`
 * (null when not called), `shaping` and `reward`, plus `acc` and `extracted`.
 *
 *   longrl reward --data-source musique_v1 --ground-truth "Paris" --response "...</think>Therefore, the answer is Paris."
 *   longrl reward --cases cases.jsonl --judge-url http://127.0.0.1:8000/v1 --judge-model Qwen2.5-1.5B-Instruct
 */
import type { Command } from 'commander';
import { readJsonl } from '../../util/jsonl.ts';
import { UserError, where } from '../../util/errors.ts';
import { createJudge, type Judge } from '../../reward/judge.ts';
import { hybridReward, type HybridItem, type HybridResult } from '../../reward/hybrid.ts';
import type { Compat } from '../../reward/docqa.ts';
import type { ExtractMode } from '../../reward/extract.ts';
import type { OverlongConfig } from '../../reward/shaping.ts';

interface RewardFlags {
  dataSource?: string;
  groundTruth?: string;
  response?: string;
  responsesFile?: string;
  question?: string;
  prompt?: string;
  cases?: string;
  maxResponseTokens?: string;
  overlongBuffer?: string;
  overlongFactor: string;
  tokenizer?: string;
  judgeUrl?: string;
  judgeModel?: string;
  judgeApiKey?: string;
  judgeConcurrency: string;
  judgeTimeout: string;
  judgeRetries?: string;
  judgeCache?: string;
  strictJudge?: boolean;
  compat: string;
  mode: string;
  batch: string;
}

/** One item to score plus its output id (cases only). */
interface Job {
  id?: unknown;
  item: HybridItem;
  /** Token length given in the input (overrides the tokenizer). */
  length?: number;
}

function num(flag: string, v: string | undefined, opts: { int?: boolean; min?: number } = {}): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (!Number.isFinite(x) || (opts.int && !Number.isInteger(x)) || (opts.min !== undefined && x < opts.min)) {
    throw new UserError(`${flag} must be ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''} (got "${v}")`);
  }
  return x;
}

/** `--ground-truth`: a string, or a JSON list of strings (any one correct). */
function parseGroundTruth(g: string): string | string[] {
  if (g.trimStart().startsWith('[')) {
    try {
      const v = JSON.parse(g) as unknown;
      if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
    } catch {
      // not JSON: a plain string that starts with '['
    }
  }
  return g;
}

function readResponses(file: string): { response: string; length?: number }[] {
  return readJsonl<unknown>(file).map(({ value, line }) => {
    if (typeof value === 'string') return { response: value };
    if (value && typeof value === 'object' && typeof (value as { response?: unknown }).response === 'string') {
      const v = value as { response: string; length?: unknown };
      if (v.length !== undefined && (typeof v.length !== 'number' || !Number.isInteger(v.length) || v.length < 0)) {
        throw new UserError(`${where(file, line, 'length')}: must be a non-negative integer (tokens)`);
      }
      return v.length === undefined ? { response: v.response } : { response: v.response, length: v.length };
    }
    throw new UserError(`${where(file, line)}: expected a JSON string or an object with a string "response"`);
  });
}

function readCases(file: string): Job[] {
  return readJsonl<Record<string, unknown>>(file).map(({ value, line }) => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UserError(`${where(file, line)}: expected a JSON object`);
    const str = (k: string, required: boolean): string | undefined => {
      const v = value[k];
      if (v === undefined || v === null) {
        if (required) throw new UserError(`${where(file, line, k)}: missing (a case needs id, data_source, ground_truth, response)`);
        return undefined;
      }
      if (typeof v !== 'string') throw new UserError(`${where(file, line, k)}: must be a string`);
      return v;
    };
    if (!('id' in value)) throw new UserError(`${where(file, line, 'id')}: missing (a case needs id, data_source, ground_truth, response)`);
    const gt = value['ground_truth'];
    let groundTruth: string | string[];
    if (typeof gt === 'string') groundTruth = gt;
    else if (Array.isArray(gt) && gt.length > 0 && gt.every((x) => typeof x === 'string')) groundTruth = gt as string[];
    else throw new UserError(`${where(file, line, 'ground_truth')}: must be a string or a non-empty list of strings`);
    const length = value['length'];
    if (length !== undefined && (typeof length !== 'number' || !Number.isInteger(length) || length < 0)) {
      throw new UserError(`${where(file, line, 'length')}: must be a non-negative integer (tokens)`);
    }
    const item: HybridItem = { dataSource: str('data_source', true) as string, response: str('response', true) as string, groundTruth };
    const question = str('question', false);
    const prompt = str('prompt', false);
    if (question !== undefined) item.question = question;
    if (prompt !== undefined) item.prompt = prompt;
    return length === undefined ? { id: value['id'], item } : { id: value['id'], item, length };
  });
}

function outLine(job: Job, r: HybridResult, withId: boolean): string {
  const base = { rule: r.rule, judge: r.judge, shaping: r.shaping, reward: r.reward, acc: r.acc, extracted: r.extracted };
  const extra = r.judgeError !== null ? { judge_error: r.judgeError } : {};
  return JSON.stringify(withId ? { id: job.id, ...base, ...extra } : { ...base, ...extra });
}

async function run(flags: RewardFlags): Promise<void> {
  const compat = flags.compat as Compat;
  if (compat !== 'default' && compat !== 'reference') throw new UserError(`--compat must be "default" or "reference" (got "${flags.compat}")`);
  const mode = flags.mode as ExtractMode;
  if (mode !== 'rl' && mode !== 'evaluation') throw new UserError(`--mode must be "rl" or "evaluation" (got "${flags.mode}")`);

  let jobs: Job[];
  const withId = flags.cases !== undefined;
  if (flags.cases !== undefined) {
    for (const f of ['dataSource', 'groundTruth', 'response', 'responsesFile'] as const) {
      if (flags[f] !== undefined) throw new UserError('--cases carries data_source, ground_truth and response per line: drop --data-source/--ground-truth/--response/--responses-file');
    }
    jobs = readCases(flags.cases);
  } else {
    if (flags.dataSource === undefined || flags.groundTruth === undefined) {
      throw new UserError('give --data-source and --ground-truth with --response or --responses-file (or --cases FILE)');
    }
    if ((flags.response === undefined) === (flags.responsesFile === undefined)) {
      throw new UserError('give exactly one of --response and --responses-file');
    }
    const groundTruth = parseGroundTruth(flags.groundTruth);
    const responses = flags.response !== undefined ? [{ response: flags.response }] : readResponses(flags.responsesFile as string);
    jobs = responses.map((r): Job => {
      const item: HybridItem = { dataSource: flags.dataSource as string, response: r.response, groundTruth };
      if (flags.question !== undefined) item.question = flags.question;
      if (flags.prompt !== undefined) item.prompt = flags.prompt;
      return r.length === undefined ? { item } : { item, length: r.length };
    });
  }

  // Overlong shaping needs token lengths: from the input, else the tokenizer.
  const maxLen = num('--max-response-tokens', flags.maxResponseTokens, { int: true, min: 1 });
  let overlong: OverlongConfig | null = null;
  if (maxLen !== undefined) {
    const buffer = num('--overlong-buffer', flags.overlongBuffer, { int: true, min: 1 }) ?? Math.min(1000, maxLen);
    overlong = { maxLen, buffer, factor: num('--overlong-factor', flags.overlongFactor, { min: 0 }) as number };
    const needTokenizer = jobs.some((j) => j.length === undefined);
    if (needTokenizer && flags.tokenizer === undefined) {
      throw new UserError('--max-response-tokens needs response lengths in tokens: give --tokenizer DIR (or a "length" field per line)');
    }
    if (needTokenizer) {
      const { loadTokenizer } = await import('../../tokenizer/index.ts');
      const tok = loadTokenizer(flags.tokenizer as string);
      for (const j of jobs) j.item.responseLength = j.length ?? tok.encode(j.item.response).length;
    } else {
      for (const j of jobs) j.item.responseLength = j.length as number;
    }
  } else if (flags.overlongBuffer !== undefined) {
    throw new UserError('--overlong-buffer needs --max-response-tokens');
  }

  let judge: Judge | null = null;
  if ((flags.judgeUrl === undefined) !== (flags.judgeModel === undefined)) {
    throw new UserError('the judge needs both --judge-url and --judge-model');
  }
  if (flags.judgeUrl !== undefined) {
    const apiKey = flags.judgeApiKey ?? process.env['LONGRL_JUDGE_API_KEY'];
    const retries = num('--judge-retries', flags.judgeRetries, { int: true, min: 0 });
    judge = createJudge({
      url: flags.judgeUrl,
      model: flags.judgeModel as string,
      concurrency: num('--judge-concurrency', flags.judgeConcurrency, { int: true, min: 1 }) as number,
      timeoutMs: (num('--judge-timeout', flags.judgeTimeout, { min: 0.001 }) as number) * 1000,
      compat,
      strict: flags.strictJudge === true,
      ...(apiKey !== undefined && { apiKey }),
      ...(retries !== undefined && { maxRetries: retries }),
      ...(flags.judgeCache !== undefined && { cachePath: flags.judgeCache }),
    });
  }

  const batch = num('--batch', flags.batch, { int: true, min: 1 }) as number;
  try {
    for (let s = 0; s < jobs.length; s += batch) {
      const chunk = jobs.slice(s, s + batch);
      const { results } = await hybridReward(chunk.map((j) => j.item), { judge, overlong, rule: { compat, mode } });
      process.stdout.write(results.map((r, k) => `${outLine(chunk[k] as Job, r, withId)}\n`).join(''));
    }
  } finally {
    if (judge) {
      process.stderr.write(`${JSON.stringify({ judge_counters: judge.counters() })}\n`);
      judge.close();
    }
  }
}

export function register(program: Command): void {
  program
    .command('reward')
    .description('score responses with the hybrid reward (rule, judge, shaping); one JSON line per response')
    .option('--data-source <s>', 'routing key: contains long_toc_choices, docmath, multihoprag, musique, docqa or choice')
    .option('--ground-truth <g>', 'reward_model.ground_truth as the data stores it (a JSON list of strings = any one correct)')
    .option('--response <r>', 'one response to score')
    .option('--responses-file <f>', 'JSONL: each line a JSON string or {"response", "length"?}')
    .option('--question <q>', "the judge's question (default: the --prompt slice after </text>)")
    .option('--prompt <p>', "the rendered prompt; the judge's question is sliced from it")
    .option('--cases <f>', 'JSONL of {id, data_source, ground_truth, response, question?, prompt?, length?}; writes {id, rule, judge, shaping, reward} lines')
    .option('--max-response-tokens <L>', 'overlong shaping: maximum response length in tokens')
    .option('--overlong-buffer <B>', 'overlong shaping: penalty ramp length in tokens (default min(1000, L))')
    .option('--overlong-factor <k>', 'overlong shaping: penalty factor', '1.0')
    .option('--tokenizer <dir>', 'model folder whose tokenizer counts response tokens for overlong shaping')
    .option('--judge-url <u>', 'OpenAI-compatible judge server (http://host:port/v1)')
    .option('--judge-model <m>', 'judge model name')
    .option('--judge-api-key <k>', 'judge bearer token (default: $LONGRL_JUDGE_API_KEY)')
    .option('--judge-concurrency <n>', 'judge requests in flight at most', '8')
    .option('--judge-timeout <s>', 'per-request judge timeout in seconds', '60')
    .option('--judge-retries <n>', 'judge retries after the first try (default 5; reference: 4)')
    .option('--judge-cache <file>', 'persistent judge cache (JSONL), reused across runs')
    .option('--strict-judge', 'score the judge by the strict [[YES]] parse instead of the substring YES')
    .option('--compat <c>', 'default, or reference: the original code exactly (sub-EM empty match, judge retries on 429 only)', 'default')
    .option('--mode <m>', 'answer extraction: rl (no </think> = 0) or evaluation (QwenLong-L1 eval rules)', 'rl')
    .option('--batch <n>', 'responses scored per batch (judge calls of a batch run concurrently)', '256')
    .action(async (flags: RewardFlags) => {
      await run(flags);
    });
}
