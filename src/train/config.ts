/**
 * The recipe: ONE zod schema for everything `longrl train` runs (pretrain → SFT → RL
 * stages → evaluation), strict (an unknown key is an error naming its path and line),
 * with a doc string on every field and defaults from QwenLong-L1
 * (`reference/qwenlong-recipe.md` §8, `reference/rl-algorithms.md` §8):
 * G = 8, no KL, temperature 0.7, top-p 0.95, token-mean loss, overlong shaping, DAPO
 * dynamic sampling on.
 *
 * Where the paper and its released script disagree we say which we follow:
 * - clip ε_low/ε_high: DAPO's 0.2 / 0.28 (clip-higher; the paper names DAPO), where the
 *   released QwenLong script uses 0.2 / 0.2 (set `rl.clipHigh: 0.2` to reproduce it);
 * - entropy coefficient: 0 (the paper mentions none; the script inherits verl's 0.001);
 * - dual-clip c: verl's 3 (DAPO reference 10).
 *
 * `loadRecipe(file, {overrides})` parses YAML (errors name file, line and column),
 * applies `--set` overrides, validates, and returns the resolved recipe;
 * `recipeToYaml` writes the resolved form into the run folder's `config.yaml`.
 */
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { LineCounter, isDocument, parseDocument, stringify, type Document } from 'yaml';
import { z } from 'zod';
import { UserError } from '../util/errors.ts';
import { applyOverrides } from './overrides.ts';
import { SamplerSchema, TinkerPolicySchema } from '../remote/config.ts';

const int = () => z.number().int();
const posInt = () => z.number().int().positive();

const LoraSchema = z.strictObject({
  rank: posInt().describe('LoRA rank r'),
  alpha: z.number().positive().describe('LoRA alpha (scale alpha / r)'),
  targetModules: z.array(z.enum(['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'])).optional().describe('projections to adapt (default: all seven)'),
});

export const ModelSchema = z
  .strictObject({
    init: z
      .strictObject({
        preset: z.string().describe('init-model preset (tiny, demo, bench, qwen3-tiny): a from-scratch model'),
        seed: int().default(0).describe('seed of the random weights'),
        shape: z
          .strictObject({
            hiddenSize: posInt().optional().describe('model width d'),
            intermediateSize: posInt().optional().describe('MLP width'),
            numLayers: posInt().optional().describe('decoder layers'),
            numHeads: posInt().optional().describe('attention heads'),
            numKvHeads: posInt().optional().describe('key/value heads (GQA)'),
            headDim: posInt().optional().describe('per-head width'),
            vocabSize: posInt().optional().describe('embedding rows; the tokenizer is trained to at most this size'),
            initializerRange: z.number().positive().optional().describe('std of the normal init of every weight matrix (HF initializer_range)'),
          })
          .optional()
          .describe('override fields of the preset (a larger or smaller model of the same family)'),
      })
      .optional()
      .describe('create a fresh model from a preset; its tokenizer is trained on the synthetic task corpus'),
    path: z.string().optional().describe('an existing HF model folder (config.json, safetensors, tokenizer); relative to the recipe file'),
  })
  .refine((m) => (m.init === undefined) !== (m.path === undefined), { message: 'give exactly one of model.init or model.path' });

export const LocalPolicySchema = z.strictObject({
  kind: z.literal('local').describe('local: the in-process CPU engine (LocalPolicy over the model folder)'),
  threads: posInt().optional().describe('kernel threads (default: the engine default, all cores)'),
  packRows: int().min(0).default(2048).describe('rows per training/scoring pass: consecutive shorter datums run packed as one sequence (src/policy/pack.ts); 0 = one datum per pass (the float summation order of runs made before packing)'),
  lora: LoraSchema.nullable().default(null).describe('train LoRA adapters instead of all weights; null = full fine-tuning'),
});

/**
 * `policy`: `kind: local` (the default; a section without `kind` is local) or
 * `kind: tinker` — a Tinker-API training service (hosted Tinker, SkyRL tx, `longrl serve
 * --tinker`), whose fields are src/remote/config.ts's `TinkerPolicySchema` (url, baseModel,
 * loraRank, apiKeyEnv, backend, request limits, deadlines). The model folder is still read
 * for the tokenizer, chat template and FLOP count; its weights are not loaded for a remote
 * policy. docs/scaling-out.md says how to start the services.
 */
export const PolicySchema = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !('kind' in v) ? { kind: 'local', ...v } : v),
  z.discriminatedUnion('kind', [LocalPolicySchema, TinkerPolicySchema]),
);

const TaskParamsSchema = z.strictObject({
  facts: posInt().optional().describe('facts per document, the queried one included (kv, choice, ...)'),
  factsMax: posInt().optional().describe('draw the fact count uniformly from [facts, factsMax]: a curriculum over facts'),
  hops: posInt().optional().describe('links per chain (chain, vt)'),
  nearMiss: int().min(0).optional().describe('near-miss distractors (a key one letter away)'),
  distractors: int().min(0).optional().describe('distractor chains (chain, vt)'),
  values: posInt().optional().describe('values of the one key (multivalue)'),
  queries: posInt().optional().describe('keys asked (multiquery)'),
  choices: posInt().optional().describe('options (choice)'),
  depth: z.number().min(0).max(1).optional().describe('relative evidence depth; absent = uniform'),
  factStyle: z.enum(['compact', 'sentence']).optional().describe('compact "key value." or a sentence'),
  traceStyle: z.enum(['copy', 'verbose', 'empty']).optional().describe('SFT trace: copy the facts used, verbose, or empty (answer only)'),
});

const SynthSplitSchema = z.strictObject({
  lengths: z.array(posInt()).optional().describe('token budgets of the rendered prompt (default: see each split)'),
  count: int().min(0).describe('records per length'),
});

export const SynthDataSchema = z.strictObject({
  tasks: z.array(z.enum(['kv', 'niah', 'multivalue', 'multiquery', 'chain', 'vt', 'ledger', 'choice'])).min(1).default(['kv', 'chain']).describe('task mix (records take turns)'),
  seed: int().optional().describe('data seed (default: the run seed)'),
  params: TaskParamsSchema.default({}).describe('difficulty knobs of the generators (src/data/synth/tasks.ts)'),
  sft: SynthSplitSchema.describe('warm-up SFT records (with traces); lengths default to the first stage bound'),
  rl: SynthSplitSchema.describe('RL records; lengths default to every stage bound, so each stage has its bucket'),
  test: SynthSplitSchema.describe('held-out records (disjoint entity pool); lengths default to eval.lengths'),
  pretrain: SynthSplitSchema.optional().describe('plain documents for the pretrain phase; lengths default to the SFT lengths'),
  heldOutSft: int().min(0).default(32).describe('SFT records per SFT length held out for the held-out loss'),
});

export const FileDataSchema = z.strictObject({
  sft: z.string().optional().describe('SFT records (.jsonl/.parquet, each with a trace)'),
  rl: z.string().describe('RL records (.jsonl/.parquet); the curriculum buckets them by rendered length'),
  test: z.string().describe('held-out records for evaluation; evaluated at their own lengths, bucketed to eval.lengths'),
  pretrain: z.string().optional().describe('plain documents (records; their document field) for the pretrain phase'),
});

export const DataSchema = z
  .strictObject({
    synth: SynthDataSchema.optional().describe('synthesise the data (src/data/synth/)'),
    files: FileDataSchema.optional().describe('read the data from files, relative to the recipe'),
  })
  .refine((d) => (d.synth === undefined) !== (d.files === undefined), { message: 'give exactly one of data.synth or data.files' });

const ScheduleSchema = z.enum(['constant', 'linear', 'cosine', 'wsd']);

/** How a decaying schedule ends (src/model/schedule.ts), shared by the pretrain and SFT sections. */
const LrDecayFields = {
  minLrRatio: z.number().min(0).max(1).default(0.1).describe('floor of linear/cosine/wsd decay as a fraction of lr'),
  decayRatio: z.number().gt(0).max(1).default(0.2).describe('wsd: share of the steps at the end spent decaying linearly to minLrRatio·lr'),
};

/** Plain documents for next-token pretraining (and for replay during SFT). */
const PretrainDocumentsObject = z
  .strictObject({
    kind: z.enum(['synth', 'repeated']).default('synth').describe('synth: the data.synth.pretrain documents (facts once); repeated: facts repeated within each document (induction signal), generated here'),
    count: posInt().default(4096).describe('repeated: documents generated (batches cycle over them)'),
    tokens: posInt().default(256).describe('repeated: tokens per document'),
    facts: posInt().default(12).describe('repeated: distinct facts per document'),
    repeatMin: posInt().default(2).describe('repeated: fewest occurrences of a fact'),
    repeatMax: posInt().default(3).describe('repeated: most occurrences of a fact'),
    chainProb: z.number().min(0).max(1).default(0.3).describe('repeated: chance a value is another fact\'s key (2-hop links)'),
    factProb: z.number().gt(0).max(1).default(0.5).describe('repeated: chance the next slot is a fact rather than filler'),
    orderedProb: z.number().min(0).max(1).default(0).describe('repeated: chance of an ordered passage (facts, filler, the same facts again)'),
    copyProb: z.number().min(0).max(1).default(0).describe('repeated: chance of a fact table stated twice in the same order without filler (the densest copying signal)'),
    queryProb: z.number().min(0).max(1).default(0).describe('repeated: chance of a query passage (the facts once among filler, then all of them again in a new order: a lookup at every restated value, at the full document length; demo-study §10)'),
    stream: z.boolean().default(false).describe('repeated: fresh documents at every pretraining step, and at every SFT step when this is the sft.replay source (document j of step s is pure in seed, stage and s·batch + j) instead of cycling over `count` (a small model memorises a cycled pool; demo-study §7)'),
  });

export const PretrainDocumentsSchema = PretrainDocumentsObject
  .default({ kind: 'synth', count: 4096, tokens: 256, facts: 12, repeatMin: 2, repeatMax: 3, chainProb: 0.3, factProb: 0.5, orderedProb: 0, copyProb: 0, queryProb: 0, stream: false });

export const PretrainSchema = z.strictObject({
  steps: posInt().describe('optimizer steps of plain next-token prediction'),
  batchSize: posInt().default(16).describe('documents per step'),
  lr: z.number().positive().default(2e-3).describe('peak learning rate'),
  schedule: ScheduleSchema.default('cosine').describe('learning-rate schedule'),
  warmupSteps: int().min(0).default(20).describe('linear warm-up steps'),
  ...LrDecayFields,
  weightDecay: z.number().min(0).default(0.01).describe('AdamW weight decay'),
  beta2: z.number().gt(0).lt(1).default(0.999).describe('AdamW β2 (0.95 is the usual pretraining value)'),
  documents: PretrainDocumentsSchema.describe('which plain documents the phase trains on'),
  keepFirst: z.number().min(0).lt(1).default(0).describe('with lengths and stream documents: share of every later step\'s documents kept at the first stage\'s length, so the circuit that forms on short documents is not lost while the curriculum extends it (demo-study §7)'),
  softmax: z
    .enum(['full', 'corpus'])
    .default('full')
    .describe('corpus: the softmax of this phase runs over the token ids its documents use (the rest of a byte-level BPE vocabulary never occurs; pushing it down first delays the induction circuit several-fold, demo-study §7); SFT and RL always use the full vocabulary'),
  copy: z
    .strictObject({
      kind: z.enum(['copy', 'lookup']).default('copy').describe('copy: entities, the gap, the same entities in order (forms a continuation circuit at any trained distance); lookup: compact facts, the gap, the same facts shuffled (single-key lookup; extends it from a base that has it at short range; demo-study §9)'),
      half: posInt().default(8).describe('copy: entities copied; lookup: facts stated (the document is these, a gap of filler words, the same again)'),
      stages: z
        .array(z.strictObject({
          fromStep: int().min(0).describe('first step of this stage'),
          gapMax: int().min(0).describe('most filler words between the two copies (drawn uniformly from 0..gapMax)'),
          share: z.number().min(0).max(1).describe('share of each step\'s documents that are gap-copy documents (the rest are documents.kind repeated)'),
        }))
        .min(1),
    })
    .nullable()
    .default(null)
    .describe('gap documents mixed into the stream (copy or lookup, see kind), the gap grown in steps: a content-matching circuit formed at short range extends as the gap grows, which longer fact documents alone do not do (demo-study §9); needs documents.stream; null = off'),
  lengths: z
    .array(z.strictObject({
      fromStep: int().min(0).describe('first step of this stage'),
      tokens: posInt().describe('tokens per document from that step'),
      facts: posInt().describe('distinct facts per document from that step'),
      batchSize: posInt().optional().describe('documents per step from that step (default batchSize × documents.tokens / tokens, constant tokens per step)'),
    }))
    .optional()
    .describe('repeated documents: a length curriculum (short documents first: the induction circuit forms on short ones and then extends; demo-study §7); a step trains batchSize × documents.tokens / tokens documents, so tokens per step stay constant, unless the stage sets its own batchSize'),
}).superRefine((p, ctx) => {
  if (p.documents.stream && p.documents.kind !== 'repeated') ctx.addIssue({ code: 'custom', path: ['documents', 'stream'], message: 'documents.stream needs documents.kind repeated' });
  if (p.documents.stream && p.softmax === 'corpus') ctx.addIssue({ code: 'custom', path: ['softmax'], message: 'softmax corpus needs a fixed document pool (documents.stream false)' });
  if (p.keepFirst > 0 && !(p.documents.stream && p.lengths)) ctx.addIssue({ code: 'custom', path: ['keepFirst'], message: 'pretrain.keepFirst needs lengths and documents.stream true' });
  if (p.copy) {
    if (!p.documents.stream) ctx.addIssue({ code: 'custom', path: ['copy'], message: 'pretrain.copy needs documents.kind repeated with stream true' });
    if (p.copy.stages[0]!.fromStep !== 0) ctx.addIssue({ code: 'custom', path: ['copy', 'stages', 0, 'fromStep'], message: 'pretrain.copy.stages must start with fromStep 0' });
    p.copy.stages.forEach((c, i) => {
      if (i > 0 && c.fromStep <= p.copy!.stages[i - 1]!.fromStep) ctx.addIssue({ code: 'custom', path: ['copy', 'stages', i, 'fromStep'], message: 'fromStep must increase' });
    });
  }
  if (!p.lengths) return;
  if (p.documents.kind !== 'repeated') ctx.addIssue({ code: 'custom', path: ['lengths'], message: 'pretrain.lengths needs documents.kind repeated' });
  if (p.lengths.length === 0 || p.lengths[0]!.fromStep !== 0) ctx.addIssue({ code: 'custom', path: ['lengths'], message: 'pretrain.lengths must start with fromStep 0' });
  p.lengths.forEach((l, i) => {
    if (i > 0 && l.fromStep <= p.lengths![i - 1]!.fromStep) ctx.addIssue({ code: 'custom', path: ['lengths', i, 'fromStep'], message: 'fromStep must increase' });
  });
});

export const SftSchema = z.strictObject({
  steps: posInt().optional().describe('optimizer steps (exclusive with epochs)'),
  epochs: z.number().positive().optional().describe('passes over the SFT records (exclusive with steps; default 3 as the paper, §12)'),
  batchSize: posInt().default(16).describe('sequences per step; batches are length-bucketed (similar lengths together)'),
  lr: z.number().positive().default(5e-6).describe('peak learning rate (paper: 5e-6 for 14B/32B; small models want ~1e-3)'),
  schedule: ScheduleSchema.default('cosine').describe('learning-rate schedule (HF get_*_schedule_with_warmup)'),
  warmupSteps: int().min(0).default(0).describe('linear warm-up steps'),
  ...LrDecayFields,
  weightDecay: z.number().min(0).default(0.01).describe('AdamW weight decay'),
  gradClip: z.number().min(0).default(1).describe('global gradient-norm clip; 0 = off'),
  evalEvery: int().min(0).default(50).describe('held-out loss every N steps (0 = only at the end)'),
  replay: z
    .strictObject({
      documents: posInt().describe('plain documents added to every SFT step'),
      source: PretrainDocumentsObject.optional().describe('which documents (kind repeated); default: pretrain.documents'),
    })
    .nullable()
    .default(null)
    .describe('replay plain documents during SFT: the held-out entities appear only there, and without them SFT drives their output logits down until the model never answers with one (demo-study §7); null = off'),
  continuedLr: z.enum(['peak', 'final']).default('peak').describe('learning rate of the sft-continued baseline, constant: the SFT peak lr (default: a decayed rate would starve the baseline) or the rate the SFT schedule ended at'),
});

const StageSchema = z
  .strictObject({
    maxInputTokens: posInt().describe('upper bound L_k of the stage input length (inclusive); items with length in (L_{k-1}, L_k]'),
    maxOutputTokens: posInt().describe('generation cap in tokens (paper: 10K); also the overlong Lmax'),
    steps: posInt().optional().describe('RL steps in the stage (give one of steps, epochs, flops)'),
    epochs: z.number().positive().optional().describe('passes over the stage pool (give one of steps, epochs, flops)'),
    flops: z.number().positive().optional().describe('counted model FLOPs of the stage (sampling + training, src/train/flops.ts): the stage ends at the first step that reaches them; for equal-compute comparisons'),
    lr: z.number().positive().optional().describe('learning rate of this stage (default rl.lr)'),
  })
  .refine((s) => [s.steps, s.epochs, s.flops].filter((x) => x !== undefined).length === 1, { message: 'give exactly one of steps, epochs or flops' });

export const RlSchema = z.strictObject({
  algorithm: z.enum(['grpo', 'dr-grpo', 'dapo']).default('dapo').describe('grpo: (r-mean)/std advantages, seq-mean-token-mean loss, no dynamic sampling; dr-grpo: r-mean, seq-mean-token-sum-norm; dapo: grpo advantages + token-mean loss + dynamic sampling (the QwenLong-L1 script)'),
  groupSize: posInt().default(8).describe('G: samples per prompt (rollout.n = 8)'),
  promptsPerStep: posInt().default(128).describe('prompts trained per RL step (train_batch_size = 128)'),
  miniBatches: posInt().default(4).describe('optimizer updates per RL step over disjoint mini-batches (paper: 128/32 = 4)'),
  ppoEpochs: posInt().default(1).describe('passes over the batch per RL step'),
  lr: z.number().positive().default(2e-6).describe('learning rate (constant, no warm-up; paper 2e-6)'),
  weightDecay: z.number().min(0).default(0.01).describe('AdamW weight decay (verl 0.01)'),
  gradClip: z.number().min(0).default(1).describe('global gradient-norm clip (verl 1.0)'),
  temperature: z.number().positive().default(0.7).describe('sampling temperature (paper 0.7); logprobs use the same temperature'),
  topP: z.number().gt(0).max(1).default(0.95).describe('nucleus mass (paper 0.95)'),
  topK: int().default(-1).describe('top-k; -1 = off'),
  clipLow: z.number().min(0).default(0.2).describe('PPO ε_low'),
  clipHigh: z.number().min(0).default(0.28).describe('PPO ε_high: DAPO clip-higher 0.28 (the released QwenLong script uses 0.2)'),
  clipC: z.number().gt(1).nullable().default(3).describe('dual-clip c for A < 0 (verl 3); null = off'),
  aggMode: z.enum(['token-mean', 'seq-mean-token-sum', 'seq-mean-token-mean', 'seq-mean-token-sum-norm', 'token-sum']).optional().describe('loss aggregation (default by algorithm: dapo token-mean, grpo seq-mean-token-mean, dr-grpo seq-mean-token-sum-norm)'),
  klCoef: z.number().min(0).default(0).describe('KL-in-loss coefficient; 0 = no KL (paper)'),
  entropyCoef: z.number().min(0).default(0).describe('entropy bonus coefficient (verl 0.001 in the released script; paper: none)'),
  dynamicSampling: z
    .strictObject({
      enabled: z.boolean().optional().describe('drop groups whose accuracy does not vary (default: on for dapo, off otherwise)'),
      maxGenBatches: int().default(10).describe('bound on generation batches per step (QwenLong 10); ≤ 0 unlimited'),
      genBatchPrompts: posInt().optional().describe('prompts per generation batch (QwenLong 384 = 3x the train batch); default promptsPerStep'),
      onExhausted: z.enum(['train-on-what-we-have', 'error']).default('train-on-what-we-have').describe('when the bound is hit with a short batch'),
    })
    .default({ maxGenBatches: 10, onExhausted: 'train-on-what-we-have' })
    .describe('DAPO dynamic sampling with bounded refill'),
  overlong: z
    .strictObject({
      enabled: z.boolean().default(true).describe('DAPO soft overlong punishment (Lmax = the stage maxOutputTokens)'),
      buffer: posInt().optional().describe('penalty ramp over the last buffer tokens, capped at Lmax; default 10% of Lmax (QwenLong 1000 of 10000)'),
      factor: z.number().min(0).default(1).describe('penalty factor κ'),
    })
    .default({ enabled: true, factor: 1 })
    .describe('overlong reward shaping'),
  stages: z.array(StageSchema).min(1).describe('curriculum stages by input length (paper: 20K then 60K, output 10K)'),
  retrospective: z
    .strictObject({
      mode: z.enum(['off', 'hard', 'weighted']).default('hard').describe('carry hard items into later stages: hard = mean reward 0 (paper), weighted = 1/mean (Eq. 10)'),
      weightCap: z.number().positive().default(8).describe('cap of the importance weight (weighted mode)'),
      maxCarry: posInt().optional().describe('at most this many items carried (hardest first)'),
    })
    .default({ mode: 'hard', weightCap: 8 })
    .describe('difficulty-aware retrospective sampling'),
  taskBalance: z.enum(['off', 'even']).default('off').describe('even: each batch splits evenly across tasks (QwenLong-L1.5)'),
  samplesToKeep: int().min(0).default(4).describe('rollout samples per step written to samples.jsonl'),
});

export const RewardSchema = z.strictObject({
  compat: z.enum(['default', 'reference']).default('default').describe('reference: the original code exactly (sub-EM empty match, judge retries on 429 only)'),
  judge: z
    .strictObject({
      url: z.string().describe('OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1'),
      model: z.string().describe('judge model name (QwenLong-L1 trains with Qwen2.5-1.5B-Instruct)'),
      apiKeyEnv: z.string().optional().describe('environment variable holding the bearer token'),
      concurrency: posInt().default(8).describe('requests in flight at most'),
      timeoutS: z.number().positive().default(60).describe('per-request timeout in seconds'),
    })
    .nullable()
    .default(null)
    .describe('LLM judge for rule scores below 1; null = rule-only reward (said plainly in the output)'),
});

export const EvalSchema = z.strictObject({
  lengths: z.array(posInt()).min(1).optional().describe('held-out lengths (default: every stage bound)'),
  itemsPerLength: posInt().default(50).describe('held-out items per length (synthetic data: data.synth.test.count is raised to this)'),
  temperature: z.number().min(0).default(0).describe('0 = greedy (default); the paper evaluates at 0.7 / top-p 0.95'),
  topP: z.number().gt(0).max(1).default(1).describe('nucleus mass when sampling'),
  maxTokens: posInt().optional().describe('generation cap (default: the last stage maxOutputTokens)'),
  batchPrompts: posInt().default(32).describe('prompts per sample call'),
  models: z.array(z.enum(['base', 'sft', 'sft-continued', 'rl-stages', 'rl-final'])).default(['base', 'sft', 'sft-continued', 'rl-stages', 'rl-final']).describe('which rows to evaluate; rl-stages = rl-stage1 .. rl-stage(K-1)'),
  perTask: z.boolean().default(true).describe('also write per-task rows'),
});

export const CheckpointSchema = z.strictObject({
  every: posInt().default(10).describe('checkpoint every N optimizer steps (and at each phase end)'),
  keep: posInt().default(2).describe('checkpoints kept (older ones removed)'),
});

export const RecipeSchema = z.strictObject({
  seed: int().default(1).describe('run seed: data order, sampling, initialisation; same seed → same metrics'),
  name: z.string().optional().describe('a name shown in reports'),
  model: ModelSchema.describe('the starting model'),
  policy: PolicySchema.default({ kind: 'local', packRows: 2048, lora: null }).describe('the engine that trains (and samples, with sampler.kind policy): local (in-process CPU) or tinker (a Tinker-API service: hosted Tinker, SkyRL tx, longrl serve --tinker)'),
  sampler: SamplerSchema.default({ kind: 'policy', urls: [], weightSync: 'lora' }).describe('who samples the RL rollouts: policy (the policy itself, default) or vllm / sglang inference servers (src/remote/config.ts)'),
  data: DataSchema.describe('training and held-out data'),
  pretrain: PretrainSchema.nullable().default(null).describe('optional next-token pretraining on plain synthetic documents (no answer format)'),
  sft: SftSchema.nullable().default(null).describe('warm-up SFT (masked loss on trace + answer); null = none'),
  rl: RlSchema.describe('phased RL'),
  reward: RewardSchema.default({ compat: 'default', judge: null }).describe('the hybrid reward'),
  eval: EvalSchema.default({ itemsPerLength: 50, temperature: 0, topP: 1, batchPrompts: 32, models: ['base', 'sft', 'sft-continued', 'rl-stages', 'rl-final'], perTask: true }).describe('evaluation on held-out records'),
  checkpoint: CheckpointSchema.default({ every: 10, keep: 2 }).describe('checkpoints for --resume'),
}).superRefine((r, ctx) => {
  if (r.sampler.kind !== 'policy') {
    // Rollout servers get the policy's weights as files (src/train/remote-sampler.ts).
    if (r.sampler.urls.length === 0) ctx.addIssue({ code: 'custom', path: ['sampler', 'urls'], message: `give at least one server URL with sampler.kind ${r.sampler.kind}` });
    if (r.policy.kind === 'tinker') {
      ctx.addIssue({ code: 'custom', path: ['sampler', 'kind'], message: `sampler.kind ${r.sampler.kind} with policy.kind tinker is not possible: the Tinker API cannot send the trained weights back to be written for the servers (its sampler checkpoints stay on the service); use sampler.kind policy (the service samples on its own engines) or policy.kind local` });
    }
    if (r.sampler.kind === 'vllm' && r.sampler.weightSync === 'full') {
      ctx.addIssue({ code: 'custom', path: ['sampler', 'weightSync'], message: 'full-weight updates of vLLM need NCCL from a torch process; use lora (or resolver) with vLLM, or SGLang for full weights' });
    }
    if (r.sampler.kind === 'sglang' && r.sampler.weightSync === 'resolver') {
      ctx.addIssue({ code: 'custom', path: ['sampler', 'weightSync'], message: 'resolver is a vLLM plugin; use lora or full with SGLang' });
    }
    if (r.policy.kind === 'local' && r.sampler.weightSync !== 'full' && r.policy.lora === null) {
      ctx.addIssue({ code: 'custom', path: ['sampler', 'weightSync'], message: `is ${r.sampler.weightSync}, but policy.lora is null (all weights train): set policy.lora, or use sampler.kind sglang with weightSync full` });
    }
  }
  // The Tinker API computes training log-probs at temperature 1 and returns no entropy
  // (docs/scaling-out.md §6): a remote policy cannot train what these settings ask for.
  if (r.policy.kind !== 'tinker') return;
  if (r.model.path === undefined) {
    // A from-scratch preset model exists only here; the service trains its own base model.
    ctx.addIssue({ code: 'custom', path: ['model'], message: `give model.path with policy.kind tinker: the folder of ${r.policy.baseModel}'s tokenizer and config (the service trains its own copy of the weights); model.init creates a model the service does not have` });
  }
  if (r.rl.temperature !== 1) {
    ctx.addIssue({ code: 'custom', path: ['rl', 'temperature'], message: `must be 1 with policy.kind tinker (the Tinker API computes training log-probs at temperature 1 only), got ${r.rl.temperature}` });
  }
  if (r.rl.entropyCoef !== 0) {
    ctx.addIssue({ code: 'custom', path: ['rl', 'entropyCoef'], message: `must be 0 with policy.kind tinker (the Tinker API returns no entropy), got ${r.rl.entropyCoef}` });
  }
});

export type Recipe = z.infer<typeof RecipeSchema>;
export type RlConfig = z.infer<typeof RlSchema>;
export type SftConfig = z.infer<typeof SftSchema>;
export type PretrainConfig = z.infer<typeof PretrainSchema>;
export type PretrainDocuments = z.infer<typeof PretrainDocumentsObject>;
export type EvalConfig = z.infer<typeof EvalSchema>;

/** Aggregation mode of an algorithm when the recipe does not set one. */
export function aggModeOf(rl: RlConfig): NonNullable<RlConfig['aggMode']> {
  if (rl.aggMode) return rl.aggMode;
  return rl.algorithm === 'grpo' ? 'seq-mean-token-mean' : rl.algorithm === 'dr-grpo' ? 'seq-mean-token-sum-norm' : 'token-mean';
}

export function dynamicSamplingOn(rl: RlConfig): boolean {
  return rl.dynamicSampling.enabled ?? rl.algorithm === 'dapo';
}

/** Eval lengths: the configured list, else every stage bound. */
export function evalLengths(r: Recipe): number[] {
  return r.eval.lengths ?? r.rl.stages.map((s) => s.maxInputTokens);
}

function lineCol(lc: LineCounter | null, doc: Document | null, path: readonly PropertyKey[]): string {
  if (!lc || !doc) return '';
  // Walk down to the deepest node that exists on the path (an unknown key exists; a missing one points at its parent).
  for (let k = path.length; k >= 0; k--) {
    const node = doc.getIn(path.slice(0, k) as (string | number)[], true) as { range?: [number, number, number] } | undefined;
    let range = node?.range;
    if (k === path.length && k > 0) {
      // Prefer the key's own position for unknown keys: find the pair in the parent map.
      const parent = doc.getIn(path.slice(0, k - 1) as (string | number)[], true) as { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] } | undefined;
      const pair = parent?.items?.find((p) => p.key?.value === path[k - 1]);
      if (pair?.key?.range) range = pair.key.range;
    }
    if (range) {
      const pos = lc.linePos(range[0]);
      return `:${pos.line}:${pos.col}`;
    }
  }
  return '';
}

function issuePath(issue: z.core.$ZodIssue): PropertyKey[] {
  const p = [...issue.path];
  if (issue.code === 'unrecognized_keys') return [...p, issue.keys[0] as string];
  return p;
}

/** Validates a parsed recipe object; errors name the file, line and field path. */
export function parseRecipe(raw: unknown, source = 'recipe', doc: Document | null = null, lc: LineCounter | null = null): Recipe {
  const res = RecipeSchema.safeParse(raw ?? {});
  if (res.success) return res.data;
  const msgs = res.error.issues.slice(0, 5).map((issue) => {
    const path = issuePath(issue);
    const field = path.map(String).join('.') || '(top level)';
    const what = issue.code === 'unrecognized_keys' ? `unknown key (allowed: see the recipe schema in src/train/config.ts)` : issue.message;
    return `${source}${lineCol(lc, doc, path)}: field "${field}": ${what}`;
  });
  throw new UserError(`invalid recipe:\n  ${msgs.join('\n  ')}`);
}

/** Parses YAML text into a recipe (with `--set` overrides applied before validation). */
export function parseRecipeYaml(text: string, source = 'recipe', overrides: readonly string[] = []): Recipe {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw new UserError(`${source}${pos ? `:${pos.line}:${pos.col}` : ''}: YAML error: ${e.message.split('\n')[0]}`);
  }
  const raw = (doc.toJS() ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`${source}: a recipe is a YAML mapping`);
  applyOverrides(raw, overrides);
  return parseRecipe(raw, source, isDocument(doc) ? doc : null, lc);
}

/** Reads and validates a recipe file. */
export function loadRecipe(file: string, overrides: readonly string[] = []): Recipe {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read recipe ${file}: ${(err as Error).message}`);
  }
  return parseRecipeYaml(text, file, overrides);
}

/** The resolved recipe as YAML (the run folder's config.yaml). */
export function recipeToYaml(r: Recipe): string {
  return `# resolved longrl recipe (defaults filled in)\n${stringify(r, { lineWidth: 0 })}`;
}

/**
 * The recipe with its relative paths (model.path, data.files.*, sampler.syncDir) made absolute against
 * `baseDir` (the recipe's folder), so the run folder's config.yaml resumes from anywhere.
 */
export function absolutizePaths(r: Recipe, baseDir: string): Recipe {
  const out: Recipe = structuredClone(r);
  if (out.model.path !== undefined) out.model.path = resolvePath(baseDir, out.model.path);
  if (out.sampler.syncDir !== undefined) out.sampler.syncDir = resolvePath(baseDir, out.sampler.syncDir);
  const f = out.data.files;
  if (f) {
    for (const k of ['sft', 'rl', 'test', 'pretrain'] as const) {
      const v = f[k];
      if (v !== undefined) f[k] = resolvePath(baseDir, v);
    }
  }
  return out;
}
