/**
 * The recipe runner behind `longrl train` and `longrl demo`: one run folder, phases in
 * order, every phase resumable.
 *
 *   model (init or folder) → pretrain? → eval base → SFT → eval sft → RL stage 1 → eval
 *   rl-stage1 → ... → RL stage K → eval rl-final → sft-continued (from the SFT
 *   checkpoint, same warm-up data and optimizer settings, until it has used the model
 *   FLOPs the RL stages used) → eval sft-continued → results.json → report.html
 *
 * Run folder (contracts §4): `config.yaml` (resolved recipe), `metrics.jsonl` + a
 * TensorBoard event file, `checkpoints/` (CheckpointStore: policy state + `state.json`),
 * `models/` (`init/` for a from-scratch model, `base/` the pretrained model after a
 * pretrain phase, `sft/` the SFT checkpoint the baseline starts from), `data/` (the
 * synthetic records), `samples.jsonl` (a few rollouts per RL step), `results.json`,
 * `report.html`/`report.png`.
 *
 * Metrics: one line per optimizer step (per RL step with its updates averaged when
 * mini-batches > 1), `step` counting every logged step of the run (monotonic across
 * phases, so a resume truncates by step alone), `phase`, `stage`, `phase_step`.
 *
 * Resume: the latest checkpoint holds the policy (weights, AdamW moments), the run state
 * (phase, step counters, curriculum with sampler, difficulty and retrospective state,
 * results so far, FLOP counters, judge-cache size). Batches and sampling seeds are pure
 * functions of (seed, step), so the resumed run's metrics equal the uninterrupted run's,
 * wall-clock fields aside. An evaluation interrupted midway is redone (deterministic).
 *
 * Remote policies (`policy.kind: tinker`, src/remote/): created async (session + model on
 * the service), closed when the run ends; their `remote/*` retry counters join every
 * metrics line. Remote runs are not bit-reproducible: a resume compares with tolerances,
 * `remote/*` aside (contracts §4).
 *
 * Rollouts on inference servers (`sampler.kind: vllm | sglang`, local policies only):
 * src/train/remote-sampler.ts samples through a RolloutClient and syncs the weights when
 * they changed; its `rollout/*` counters join every metrics line, and the checkpoint holds
 * its sync state (a resumed run re-syncs before its first rollout).
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Policy } from '../policy/types.ts';
import { getPreset, presetConfig, type ModelPreset } from '../model/presets.ts';
import { initModelWeights } from '../model/init.ts';
import type { ModelFolder } from '../model/folder.ts';
import { buildChatTokenizer } from '../tokenizer/preset-tokenizer.ts';
import { writeModelFolder } from '../model/folder.ts';
import { readModelConfig } from '../model/config.ts';
import { learningRateAt, type LrSchedule } from '../model/schedule.ts';
import { loadTokenizer, type TextTokenizer } from '../tokenizer/load.ts';
import { synthTokenizerCorpus } from '../data/synth/corpus.ts';
import { Curriculum, type CurriculumState } from '../curriculum/curriculum.ts';
import { createJudge, type Judge } from '../reward/judge.ts';
import { MetricsLog } from '../observe/metrics-log.ts';
import { ProgressBar } from '../observe/progress.ts';
import { formatStepSummary } from '../observe/step-summary.ts';
import { formatResultsText } from '../observe/eval-table.ts';
import { writeReport } from '../observe/report.ts';
import type { ResultsRow } from '../observe/run-data.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFile, writeFileAtomic, writeJsonAtomic } from '../util/fsx.ts';
import { CheckpointStore } from './checkpoint.ts';
import { absolutizePaths, evalLengths, recipeToYaml, parseRecipeYaml, type PretrainConfig, type PretrainDocuments, type Recipe, type SftConfig } from './config.ts';
import { chatCounter, prepareData, promptIds, responseIds, synthRecordCount, type RunData } from './data.ts';
import { evaluatePolicy, type EvalItem } from './evaluate.ts';
import { flopModel, type FlopModel } from './flops.ts';
import { gapCopyDatum, pretrainDatums, repeatedFactsDatum, repeatedFactsDatums, stageIndexAt } from './pretrain.ts';
import { rlStep, type RlContext, type RlItem } from './rl-trainer.ts';
import { createPolicy } from './policy-factory.ts';
import { createRemoteSampler } from './remote-sampler-factory.ts';
import type { RemoteSampler, RolloutSyncState } from './remote-sampler.ts';
import type { RemotePolicy } from '../remote/remote-policy.ts';
import { heldOutLoss, lengthBuckets, responseDatum, sftTotalSteps, supervisedStep, type SupervisedSettings } from './sft.ts';
import type { Datum } from '../policy/types.ts';
import { LocalPolicy } from '../policy/local.ts';

export type PhaseName = 'pretrain' | 'eval-base' | 'sft' | 'eval-sft' | 'rl' | 'eval-rl-final' | 'sft-continued' | 'eval-sft-continued' | 'done';
const PHASE_ORDER: PhaseName[] = ['pretrain', 'eval-base', 'sft', 'eval-sft', 'rl', 'eval-rl-final', 'sft-continued', 'eval-sft-continued', 'done'];

/** Everything besides the policy that a checkpoint restores. */
export interface RunState {
  version: 1;
  phase: PhaseName;
  /** Optimizer steps done in the current supervised phase, or RL steps in the current stage. */
  phaseStep: number;
  /** Lines logged to metrics.jsonl (the last line's `step`). */
  globalStep: number;
  /** RL steps over all stages. */
  rlStep: number;
  curriculum: CurriculumState | null;
  results: ResultsRow[];
  evaluated: string[];
  /** Counted model FLOPs of the RL stages and of the sft-continued baseline. */
  rlFlops: number;
  /** Counted FLOPs of the current RL stage (stages with a `flops` budget). */
  stageFlops: number;
  sftContFlops: number;
  /** Wall seconds (reported beside FLOPs, never used for decisions). */
  rlSeconds: number;
  sftContSeconds: number;
  /** Bytes of the judge cache at the checkpoint (its position; later entries are harmless cache hits). */
  judgeCacheBytes: number;
  /** Weight sync to inference servers (sampler.kind vllm / sglang); absent in older checkpoints. */
  rollout?: RolloutSyncState | null;
}

export interface RunOptions {
  /** Run folder (fresh) — or the folder to continue with `resume`. */
  runDir: string;
  resume?: boolean;
  /** Folder relative paths in the recipe are resolved against. */
  baseDir?: string;
  /** Lines for the user (stdout). */
  log?: (line: string) => void;
  /** Progress bars' stream (default stderr). */
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Stop once this phase is complete (`longrl pretrain` stops after `pretrain`). */
  stopAfter?: PhaseName;
  /** Testing hook: stop (throw) after this many logged metrics lines. */
  stopAfterLines?: number;
}

export interface RunResult {
  runDir: string;
  results: ResultsRow[];
}

function freshState(): RunState {
  return {
    version: 1, phase: 'pretrain', phaseStep: 0, globalStep: 0, rlStep: 0, curriculum: null, results: [], evaluated: [],
    rlFlops: 0, stageFlops: 0, sftContFlops: 0, rlSeconds: 0, sftContSeconds: 0, judgeCacheBytes: 0, rollout: null,
  };
}

/**
 * A from-scratch model of a preset with some fields overridden (as `init-model` builds a
 * preset: random weights, byte-level BPE trained on the built-in corpus plus the
 * synthetic task corpus, so every key and value is one token).
 */
export function buildInitModel(presetName: string, shape: Partial<ModelPreset>, seed: number): ModelFolder {
  const defined = Object.fromEntries(Object.entries(shape).filter(([, v]) => v !== undefined)) as Partial<ModelPreset>;
  const preset: ModelPreset = { ...getPreset(presetName), ...defined };
  const { tokenizerJson, tokenizerConfig } = buildChatTokenizer({ vocabSize: preset.vocabSize, modelMaxLength: preset.maxPositionEmbeddings, extraTexts: synthTokenizerCorpus() });
  const added = tokenizerJson['added_tokens'] as { id: number; content: string }[];
  const idOf = (t: string) => {
    const a = added.find((x) => x.content === t);
    if (!a) throw new UserError(`preset tokenizer lacks ${t}`);
    return a.id;
  };
  const endOfText = idOf('<|endoftext|>');
  const imEnd = idOf('<|im_end|>');
  const config = presetConfig(preset, { bosTokenId: endOfText, eosTokenIds: [imEnd] });
  return {
    config, weights: initModelWeights(config, seed), tokenizerJson, tokenizerConfig,
    generationConfig: { bos_token_id: endOfText, eos_token_id: [imEnd, endOfText], pad_token_id: endOfText },
  };
}

/** Writes a folder atomically: fill a temporary sibling, then rename over the target. */
/** The learning-rate schedule of a pretrain or SFT section over `totalSteps` optimizer steps. */
function lrSchedule(c: PretrainConfig | SftConfig, totalSteps: number): LrSchedule {
  return { type: c.schedule, lr: c.lr, warmupSteps: c.warmupSteps, totalSteps, minLrRatio: c.minLrRatio, decayRatio: c.decayRatio };
}

async function writeDirAtomic(dir: string, fill: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await fill(tmp);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
}

/** The recipe runner: see the module doc. */
export class RecipeRun {
  readonly runDir: string;
  private state: RunState = freshState();
  private policy!: Policy;
  /** The policy again when it is remote (retry counters in the metrics, closed at the end). */
  private remote: RemotePolicy | null = null;
  /** Rollouts on inference servers (sampler.kind vllm / sglang), else null. */
  private sampler: RemoteSampler | null = null;
  private tok!: TextTokenizer;
  private data!: RunData;
  private fm!: FlopModel;
  private metrics!: MetricsLog;
  private store!: CheckpointStore;
  private judge: Judge | null = null;
  private curriculum: Curriculum | null = null;
  private stopIds: number[] = [];
  private imEnd = 0;
  private endOfText = 0;
  private sftDatumsCache: Datum[] | null = null;
  private readonly log: (line: string) => void;

  readonly recipe: Recipe;

  constructor(recipe: Recipe, readonly opts: RunOptions) {
    this.recipe = absolutizePaths(recipe, opts.baseDir ?? process.cwd());
    this.runDir = resolve(opts.runDir);
    this.log = opts.log ?? ((l) => process.stdout.write(`${l}\n`));
  }

  private activeBar: ProgressBar | null = null;

  private bar(label: string, total: number, unit = 'it'): ProgressBar {
    this.activeBar = new ProgressBar({ label, total, unit, ...(this.opts.progressStream ? { stream: this.opts.progressStream } : {}) });
    return this.activeBar;
  }

  /** A line for the user; on a terminal the progress bar steps aside for it. */
  private say(line: string): void {
    if (this.activeBar) this.activeBar.interrupt(() => this.log(line));
    else this.log(line);
  }

  /** Model folder the run starts from (created for `model.init`). */
  private baseModelDir(): string {
    const m = this.recipe.model;
    if (m.path !== undefined) return resolve(this.opts.baseDir ?? process.cwd(), m.path);
    const dir = join(this.runDir, 'models', 'init');
    if (!existsSync(join(dir, 'config.json'))) {
      const init = m.init!;
      const folder = buildInitModel(init.preset, init.shape ?? {}, init.seed);
      const tmp = `${dir}.tmp`;
      rmSync(tmp, { recursive: true, force: true });
      writeModelFolder(tmp, folder);
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
    }
    return dir;
  }

  private async setup(): Promise<void> {
    const r = this.recipe;
    if (r.sft?.replay) this.replaySource(); // fails before anything is written
    mkdirSync(this.runDir, { recursive: true });
    if (!this.opts.resume) {
      const existing = readdirSync(this.runDir).filter((n) => !n.startsWith('.'));
      if (existing.length > 0) throw new UserError(`${this.runDir} is not empty: continue it with --resume ${this.runDir}, or choose another --out`);
      writeFileAtomic(join(this.runDir, 'config.yaml'), recipeToYaml(r));
    }
    const modelDir = this.baseModelDir();
    this.tok = loadTokenizer(modelDir);
    this.stopIds = [...new Set(this.tok.eosTokenIds)];
    this.imEnd = this.tok.tokenToId('<|im_end|>') ?? (this.stopIds[0] as number);
    this.endOfText = this.tok.tokenToId('<|endoftext|>') ?? this.imEnd;
    this.fm = flopModel(readModelConfig(modelDir));
    const pretrainOnly = this.opts.stopAfter === 'pretrain';
    const synthBar = r.data.synth ? this.bar('synthesise data', synthRecordCount(r, pretrainOnly), 'rec') : null;
    this.data = await prepareData(r, chatCounter(this.tok), { baseDir: this.opts.baseDir ?? process.cwd(), runDir: this.runDir, onRecord: () => synthBar?.tick(), pretrainOnly });
    synthBar?.finish();
    const created = await createPolicy(r.policy, modelDir, (l) => this.log(l));
    this.policy = created.policy;
    this.remote = created.remote;
    this.store = new CheckpointStore(this.runDir, r.checkpoint.keep);
    const latest = this.opts.resume ? this.store.latest() : null;
    if (latest) {
      const dir = this.store.path(latest);
      await this.policy.load(join(dir, 'policy'));
      this.state = readJsonFile<RunState>(join(dir, 'state.json'));
      this.metrics = new MetricsLog(this.runDir, { resume: { step: this.state.globalStep } });
      this.log(`resumed ${this.runDir} at ${this.state.phase}, step ${this.state.globalStep}`);
    } else {
      this.metrics = new MetricsLog(this.runDir, this.opts.resume ? { resume: 'beginning' } : {});
      if (this.opts.resume) this.log(`no checkpoint in ${this.runDir} yet: starting it over`);
    }
    this.truncateSamples();
    this.sampler = createRemoteSampler(r, this.policy, { runDir: this.runDir, modelDir, restored: this.state.rollout ?? null, log: (l) => this.say(l) });
    const j = r.reward.judge;
    if (j) {
      const apiKey = j.apiKeyEnv !== undefined ? process.env[j.apiKeyEnv] : undefined;
      this.judge = createJudge({
        url: j.url, model: j.model, concurrency: j.concurrency, timeoutMs: j.timeoutS * 1000, compat: r.reward.compat,
        cachePath: join(this.runDir, 'judge-cache.jsonl'), ...(apiKey !== undefined ? { apiKey } : {}),
      });
      this.log(`reward: hybrid (rule, then the judge ${j.model} at ${j.url} when the rule says < 1)`);
    } else {
      this.log('reward: rule-only (no judge configured; pass --judge-url/--judge-model or set reward.judge for the hybrid reward)');
    }
  }

  /** Drops samples.jsonl lines written after the checkpoint. */
  private truncateSamples(): void {
    const p = join(this.runDir, 'samples.jsonl');
    if (!existsSync(p)) return;
    const keep = readFileSync(p, 'utf8').split('\n').filter((l) => {
      if (l.trim() === '') return false;
      try {
        return (JSON.parse(l) as { step: number }).step <= this.state.globalStep;
      } catch {
        return false;
      }
    });
    writeFileAtomic(p, keep.map((l) => `${l}\n`).join(''));
  }

  private async checkpoint(): Promise<void> {
    this.metrics.flush();
    if (this.curriculum) this.state.curriculum = this.curriculum.state();
    if (this.sampler) this.state.rollout = this.sampler.state();
    const cache = join(this.runDir, 'judge-cache.jsonl');
    this.state.judgeCacheBytes = existsSync(cache) ? statSync(cache).size : 0;
    const seq = Number(this.store.latest()?.step ?? 0) + 1;
    await this.store.save(seq, async (dir) => {
      await this.policy.save(join(dir, 'policy'));
      writeJsonAtomic(join(dir, 'state.json'), this.state);
    });
  }

  private logLine(input: Record<string, unknown> & { phase: 'pretrain' | 'sft' | 'rl'; stage?: number | null }): void {
    this.state.globalStep++;
    const line = this.metrics.log({ ...input, ...this.remoteCounters(), step: this.state.globalStep });
    this.say(formatStepSummary(line));
    if (this.opts.stopAfterLines !== undefined && this.metrics.lines >= this.opts.stopAfterLines) {
      this.metrics.flush();
      throw new StopForTest();
    }
  }

  /**
   * A remote policy's retry and fault counters (`remote/...`, cumulative in this process).
   * They depend on the network and the clock, not on the seed: like wall-clock fields they
   * are not part of the resume comparison (remote runs compare with tolerances anyway).
   */
  private remoteCounters(): Record<string, number> {
    const out: Record<string, number> = this.sampler?.counters() ?? {};
    if (!this.remote) return out;
    for (const [k, v] of Object.entries(this.remote.counters)) out[k.startsWith('remote/') ? k : `remote/${k}`] = v;
    return out;
  }

  private async maybeCheckpoint(): Promise<void> {
    if (this.state.phaseStep % this.recipe.checkpoint.every === 0) await this.checkpoint();
  }

  private async nextPhase(): Promise<void> {
    const i = PHASE_ORDER.indexOf(this.state.phase);
    this.state.phase = PHASE_ORDER[i + 1] as PhaseName;
    this.state.phaseStep = 0;
    await this.checkpoint();
  }

  // ---- evaluation ----

  private evalItems(): EvalItem[] {
    const lengths = evalLengths(this.recipe);
    const per = this.recipe.eval.itemsPerLength;
    const byLen = new Map<number, EvalItem[]>();
    for (const r of this.data.test) {
      const prompt = promptIds(this.tok, r);
      // Report under the smallest eval length that holds the prompt (synthetic records are made at those budgets).
      const L = lengths.find((l) => prompt.length <= l);
      if (L === undefined) continue;
      const list = byLen.get(L) ?? [];
      if (list.length < per) list.push({ record: r, prompt, length: L });
      byLen.set(L, list);
    }
    return lengths.flatMap((L) => byLen.get(L) ?? []);
  }

  private evalMaxTokens(): number {
    const st = this.recipe.rl.stages;
    return this.recipe.eval.maxTokens ?? (st[st.length - 1]!.maxOutputTokens);
  }

  private wants(model: string): boolean {
    const m = this.recipe.eval.models;
    if (/^rl-stage\d+$/.test(model)) return m.includes('rl-stages');
    return m.includes(model as never);
  }

  private async evaluate(model: string, policy: Policy = this.policy): Promise<void> {
    if (this.state.evaluated.includes(model) || !this.wants(model)) return;
    const items = this.evalItems();
    const e = this.recipe.eval;
    const bar = this.bar(`eval ${model}`, items.length, 'item');
    const t0 = performance.now();
    const { rows, scores } = await evaluatePolicy(model, policy, items, {
      temperature: e.temperature, topP: e.topP, maxTokens: this.evalMaxTokens(), batchPrompts: e.batchPrompts,
      stopTokenIds: this.stopIds, seed: this.recipe.seed, decode: (ids) => this.tok.decode(ids), compat: this.recipe.reward.compat,
      perTask: e.perTask, onProgress: (d) => bar.set(d),
    });
    bar.finish();
    const mixed = rows.filter((x) => x.task === undefined).map((x) => `${x.length}: ${x.accuracy.toFixed(1)}%`).join('  ');
    this.say(`eval ${model} (${((performance.now() - t0) / 1000).toFixed(1)}s): ${mixed}`);
    const samplesDir = join(this.runDir, 'eval');
    mkdirSync(samplesDir, { recursive: true });
    writeFileAtomic(join(samplesDir, `${model}.jsonl`), scores.map((s) => `${JSON.stringify(s)}\n`).join(''));
    this.state.results = [...this.state.results.filter((x) => x.model !== model), ...rows];
    this.state.evaluated.push(model);
    writeJsonAtomic(join(this.runDir, 'results.json'), this.state.results);
  }

  // ---- supervised phases ----

  private sftDatums(): Datum[] {
    this.sftDatumsCache ??= this.data.sft.map((r) => responseDatum(promptIds(this.tok, r), responseIds(this.tok, r, this.imEnd)));
    return this.sftDatumsCache;
  }

  private sftSettings(): SupervisedSettings {
    const s = this.recipe.sft!;
    const total = sftTotalSteps(s, this.data.sft.length);
    return {
      batchSize: s.batchSize, weightDecay: s.weightDecay, gradClip: s.gradClip, seed: this.recipe.seed, label: 'sft',
      schedule: lrSchedule(s, total),
    };
  }

  private async runPretrain(): Promise<void> {
    const p = this.recipe.pretrain;
    if (!p) return;
    const docs = p.documents;
    const seed = this.documentSeed();
    // One document set per length stage (stage k's documents from seed derive k), made
    // when the stage is reached, so a resumed run rebuilds exactly the same batches.
    const stages: NonNullable<PretrainConfig['lengths']> = docs.kind === 'repeated' ? (p.lengths ?? [{ fromStep: 0, tokens: docs.tokens, facts: docs.facts }]) : [{ fromStep: 0, tokens: 0, facts: 0 }];
    let built: { stage: number; datums: Datum[]; buckets: number[][]; s: SupervisedSettings } | null = null;
    // Stage k's documents: their own seed, the stage's length and fact count.
    const stageSeed = (k: number) => (k === 0 ? seed : seed + 7919 * k);
    const stageDocs = (k: number) => ({ ...docs, tokens: stages[k]!.tokens, facts: stages[k]!.facts });
    const stageDatums = (k: number): Datum[] => docs.kind === 'repeated'
      ? repeatedFactsDatums(this.tok, stageSeed(k), docs.count, stageDocs(k), this.endOfText)
      : pretrainDatums(this.tok, this.data.pretrain, this.endOfText);
    // pretrain.softmax corpus: the ids the stages so far use (stages [0, corpusStages)).
    const corpusIds = new Set<number>();
    let corpusStages = 0;
    const forStep = (step: number) => {
      const k = stageIndexAt(stages, step);
      if (built?.stage === k) return built;
      const st = stages[k]!;
      const batchSize = docs.kind === 'repeated' && p.lengths ? (st.batchSize ?? Math.max(1, Math.round((p.batchSize * docs.tokens) / st.tokens))) : p.batchSize;
      const datums = docs.stream ? [] : stageDatums(k);
      const s: SupervisedSettings = {
        batchSize, weightDecay: p.weightDecay, gradClip: 1, seed: this.recipe.seed, label: k === 0 ? 'pretrain' : `pretrain-${k}`, beta2: p.beta2,
        schedule: lrSchedule(p, p.steps),
      };
      built = { stage: k, datums, buckets: lengthBuckets(datums.map((d) => d.inputTokens_T.length), batchSize), s };
      if (p.softmax === 'corpus') {
        // The ids of stages 0..k (a resumed run rebuilds the earlier stages' documents, so
        // its softmax vocabulary is the uninterrupted run's).
        for (let j = corpusStages; j <= k; j++) for (const d of j === k ? datums : stageDatums(j)) for (const id of d.targetTokens_T) corpusIds.add(id);
        corpusStages = k + 1;
        this.localPolicy('pretrain.softmax corpus').setSoftmaxVocabulary(corpusIds);
      }
      return built;
    };
    // Stream documents: document j of step s is index s·n + j of its stage's stream (the
    // first `keepFirst` share of the fact documents from stage 0's stream at stage 0's
    // length; the last `copy` share gap-copy documents), pure in the step.
    const streamBatch = (k: number, step: number, n: number): Datum[] => {
      const copy = p.copy ? p.copy.stages[stageIndexAt(p.copy.stages, step)]! : null;
      const nFacts = n - (copy ? Math.round(copy.share * n) : 0);
      const nFirst = k > 0 ? Math.round(p.keepFirst * nFacts) : 0;
      return Array.from({ length: n }, (_, j) => {
        if (j >= nFacts) return gapCopyDatum(this.tok, seed, step * n + j, { half: p.copy!.half, gapMax: copy!.gapMax, kind: p.copy!.kind }, this.endOfText);
        const kk = j < nFirst ? 0 : k;
        return repeatedFactsDatum(this.tok, stageSeed(kk), step * n + j, stageDocs(kk), this.endOfText);
      });
    };
    const bar = this.bar('pretrain', p.steps, 'step');
    bar.set(this.state.phaseStep);
    while (this.state.phaseStep < p.steps) {
      const t = performance.now();
      const step = this.state.phaseStep;
      const { datums, buckets, s, stage } = forStep(step);
      // Stream documents: no pool (datums and buckets are empty), the step's batch is all extra.
      const m = await supervisedStep(this.policy, datums, buckets, step, s, this.fm, docs.stream ? streamBatch(stage, step, s.batchSize) : []);
      if (p.softmax === 'corpus') m['train/softmax_vocab'] = corpusIds.size;
      this.state.phaseStep++;
      const dt = (performance.now() - t) / 1000;
      this.logLine({ phase: 'pretrain', stage: null, phase_step: this.state.phaseStep, ...m, 'time/step_s': dt, 'perf/throughput': (m['train/tokens'] as number) / dt });
      bar.tick();
      await this.maybeCheckpoint();
    }
    bar.finish();
    if (p.softmax === 'corpus') this.localPolicy('pretrain.softmax corpus').setSoftmaxVocabulary(null);
    // The pretrained base as an HF folder (the `base` row's model; reusable as model.path).
    // Re-entered on resume at the last step, so it is written whenever the phase completes.
    if (!this.remote) await writeDirAtomic(join(this.runDir, 'models', 'base'), (tmp) => this.policy.exportHF(tmp));
  }

  /** The policy as a LocalPolicy, for features only the in-process engine has. */
  private localPolicy(feature: string): LocalPolicy {
    if (!(this.policy instanceof LocalPolicy)) throw new UserError(`${feature} needs policy.kind local`);
    return this.policy;
  }

  private async runSft(): Promise<void> {
    const cfg = this.recipe.sft;
    if (!cfg) return;
    const datums = this.sftDatums();
    const held = this.data.sftHeldOut.map((r) => responseDatum(promptIds(this.tok, r), responseIds(this.tok, r, this.imEnd)));
    const s = this.sftSettings();
    const total = s.schedule.totalSteps as number;
    const buckets = lengthBuckets(datums.map((d) => d.inputTokens_T.length), s.batchSize);
    const bar = this.bar('sft', total, 'step');
    bar.set(this.state.phaseStep);
    while (this.state.phaseStep < total) {
      const t = performance.now();
      const m = await supervisedStep(this.policy, datums, buckets, this.state.phaseStep, s, this.fm, this.replayAt(this.state.phaseStep));
      this.state.phaseStep++;
      const evalNow = held.length > 0 && ((cfg.evalEvery > 0 && this.state.phaseStep % cfg.evalEvery === 0) || this.state.phaseStep === total);
      if (evalNow) m['eval/heldout_loss'] = await heldOutLoss(this.policy, held);
      const dt = (performance.now() - t) / 1000;
      this.logLine({ phase: 'sft', stage: null, phase_step: this.state.phaseStep, ...m, 'time/step_s': dt, 'perf/throughput': (m['train/tokens'] as number) / dt });
      bar.tick();
      await this.maybeCheckpoint();
    }
    bar.finish();
    // The SFT checkpoint the sft-continued baseline starts from (weights + optimizer).
    await writeDirAtomic(join(this.runDir, 'models', 'sft'), (tmp) => this.policy.save(tmp));
  }

  private replayPool: Datum[] | null = null;

  /** The seed of generated plain documents (pretraining, and offset for sft.replay): the synthetic data's seed, else the run's. */
  private documentSeed(): number {
    return this.recipe.data.synth?.seed ?? this.recipe.seed;
  }

  /** The documents sft.replay draws from: its own source, else pretrain.documents; they must be of kind repeated. */
  private replaySource(): PretrainDocuments {
    const docs = this.recipe.sft?.replay?.source ?? this.recipe.pretrain?.documents;
    if (docs?.kind !== 'repeated') throw new UserError('sft.replay needs documents of kind repeated: sft.replay.source, or a pretrain section whose documents are');
    return docs;
  }

  /**
   * The replayed plain documents of SFT step `step` (sft.replay): documents step·n .. step·n
   * + n - 1 of the source, fresh ones when the source streams (pure in the step), else
   * cycling over its `count` documents.
   */
  private replayAt(step: number): Datum[] {
    const n = this.recipe.sft?.replay?.documents ?? 0;
    if (n === 0) return [];
    const docs = this.replaySource();
    const seed = this.documentSeed() + 104729;
    if (docs.stream) return Array.from({ length: n }, (_, i) => repeatedFactsDatum(this.tok, seed, step * n + i, docs, this.endOfText));
    this.replayPool ??= repeatedFactsDatums(this.tok, seed, docs.count, docs, this.endOfText);
    return Array.from({ length: n }, (_, i) => this.replayPool![(step * n + i) % this.replayPool!.length]!);
  }

  /** SFT continued from the SFT checkpoint until it has used the RL stages' model FLOPs. */
  private async runSftContinued(): Promise<void> {
    const cfg = this.recipe.sft;
    if (!cfg || !this.wants('sft-continued')) return;
    const sftDir = join(this.runDir, 'models', 'sft');
    if (this.state.phaseStep === 0) await this.policy.load(sftDir);
    const datums = this.sftDatums();
    const s = this.sftSettings();
    // Continue the SFT step count (so the data order goes on where SFT stopped) at a
    // constant rate: the SFT peak (default) or the rate its schedule ended at.
    const offset = s.schedule.totalSteps as number;
    const lr = cfg.continuedLr === 'peak' ? cfg.lr : learningRateAt(s.schedule, offset);
    const cont: SupervisedSettings = { ...s, schedule: { type: 'constant', lr } };
    const buckets = lengthBuckets(datums.map((d) => d.inputTokens_T.length), s.batchSize);
    const budget = this.state.rlFlops;
    const bar = this.bar('sft-continued (FLOPs %)', 100, '%');
    while (this.state.sftContFlops < budget) {
      const t = performance.now();
      const m = await supervisedStep(this.policy, datums, buckets, offset + this.state.phaseStep, cont, this.fm, this.replayAt(offset + this.state.phaseStep));
      this.state.phaseStep++;
      this.state.sftContFlops += m['perf/flops'] as number;
      const dt = (performance.now() - t) / 1000;
      this.state.sftContSeconds += dt;
      this.logLine({ phase: 'sft', stage: null, phase_step: offset + this.state.phaseStep, baseline: 'sft-continued', 'perf/flops_budget_used': this.state.sftContFlops / budget, ...m, 'time/step_s': dt });
      bar.set(Math.min(100, Math.floor((100 * this.state.sftContFlops) / budget)));
      await this.maybeCheckpoint();
    }
    bar.finish(`${this.state.phaseStep} steps, ${this.state.sftContSeconds.toFixed(0)}s (RL: ${this.state.rlSeconds.toFixed(0)}s)`);
  }

  // ---- RL ----

  private buildCurriculum(): Curriculum {
    const rl = this.recipe.rl;
    const items = this.data.rl.map((r) => ({ id: r.id, length: promptIds(this.tok, r).length, ...(r.task !== undefined ? { task: r.task } : {}), data_source: r.data_source }));
    const dynamic = rl.dynamicSampling.enabled ?? rl.algorithm === 'dapo';
    return new Curriculum(
      {
        // A FLOP-budgeted stage ends by the runner's count; the curriculum just keeps drawing.
        stages: rl.stages.map((s) => ({ maxInputTokens: s.maxInputTokens, maxOutputTokens: s.maxOutputTokens, ...(s.epochs !== undefined ? { epochs: s.epochs } : { steps: s.steps ?? 1e9 }) })),
        batchSize: dynamic ? (rl.dynamicSampling.genBatchPrompts ?? rl.promptsPerStep) : rl.promptsPerStep,
        seed: this.recipe.seed,
        retrospective: { mode: rl.retrospective.mode, weightCap: rl.retrospective.weightCap, ...(rl.retrospective.maxCarry !== undefined ? { maxCarry: rl.retrospective.maxCarry } : {}) },
        ...(rl.taskBalance === 'even' ? { taskBalance: { mode: 'even' as const, key: 'task' as const } } : {}),
      },
      items,
      this.state.curriculum ?? undefined,
    );
  }

  private async runRl(): Promise<void> {
    const rl = this.recipe.rl;
    const cur = (this.curriculum = this.buildCurriculum());
    const items = new Map<string, RlItem>();
    for (const r of this.data.rl) items.set(r.id, { record: r, prompt: promptIds(this.tok, r) });
    const ctx: RlContext = {
      policy: this.policy, rl, curriculum: cur, items, judge: this.judge, compat: this.recipe.reward.compat,
      decode: (ids) => this.tok.decode(ids), stopTokenIds: this.stopIds, seed: this.recipe.seed, fm: this.fm,
      entropyAvailable: this.remote === null, sampler: this.sampler,
    };
    const K = rl.stages.length;
    const samplesPath = join(this.runDir, 'samples.jsonl');
    for (;;) {
      const k = cur.stage;
      const st = rl.stages[k]!;
      const steps = cur.stageSteps();
      const stageDone = () => (st.flops !== undefined ? this.state.stageFlops >= st.flops : this.state.phaseStep >= steps);
      if (stageDone()) {
        if (k === K - 1) break;
        await this.evaluate(`rl-stage${k + 1}`);
        const carried = cur.advance();
        this.say(`stage ${k + 2}/${K}: inputs ≤ ${rl.stages[k + 1]!.maxInputTokens} tokens, ${cur.pool().length - carried.length} records + ${carried.length} carried over (retrospective ${rl.retrospective.mode})`);
        this.state.phaseStep = 0;
        this.state.stageFlops = 0;
        await this.checkpoint();
        continue;
      }
      const byFlops = st.flops !== undefined;
      const bar = byFlops ? this.bar(`rl stage ${k + 1}/${K} (FLOPs %)`, 100, '%') : this.bar(`rl stage ${k + 1}/${K}`, steps, 'step');
      bar.set(byFlops ? Math.floor((100 * this.state.stageFlops) / st.flops!) : this.state.phaseStep);
      while (!stageDone()) {
        const out = await rlStep(ctx, this.state.rlStep, st.lr ?? rl.lr);
        this.state.rlStep++;
        this.state.phaseStep++;
        this.state.rlFlops += out.flops;
        this.state.stageFlops += out.flops;
        this.state.rlSeconds += out.metrics['timing_s/step'] ?? 0;
        const stepNo = this.state.globalStep + 1;
        if (out.samples.length > 0) {
          appendFileSync(samplesPath, out.samples.map((x) => `${JSON.stringify({ step: stepNo, stage: k + 1, ...x })}\n`).join(''));
        }
        this.logLine({ phase: 'rl', stage: k + 1, phase_step: this.state.rlStep, ...out.metrics, 'perf/total_flops': this.state.rlFlops, 'curriculum/carried': cur.state().carried.length });
        if (byFlops) bar.set(Math.min(100, Math.floor((100 * this.state.stageFlops) / st.flops!)));
        else bar.tick();
        await this.maybeCheckpoint();
      }
      bar.finish();
    }
  }

  /** Runs (or continues) the whole recipe. */
  async run(): Promise<RunResult> {
    try {
      await this.setup();
      while (this.state.phase !== 'done') {
        const ph = this.state.phase;
        if (ph === 'pretrain') await this.runPretrain();
        else if (ph === 'eval-base') await this.evaluate('base');
        else if (ph === 'sft') await this.runSft();
        else if (ph === 'eval-sft') {
          if (this.recipe.sft) await this.evaluate('sft');
        } else if (ph === 'rl') await this.runRl();
        else if (ph === 'eval-rl-final') await this.evaluate('rl-final');
        else if (ph === 'sft-continued') await this.runSftContinued();
        else if (ph === 'eval-sft-continued') {
          if (this.recipe.sft) await this.evaluate('sft-continued');
        }
        await this.nextPhase();
        if (this.opts.stopAfter === ph) break;
      }
    } finally {
      this.metrics?.close();
      this.judge?.close();
      // Stops the session heartbeat (the service drops the session's models after it expires).
      this.remote?.close();
    }
    if (this.state.results.length > 0 || this.state.phase === 'done') writeJsonAtomic(join(this.runDir, 'results.json'), this.state.results);
    try {
      await writeReport(this.runDir);
    } catch (err) {
      this.log(`report: could not write report.html: ${(err as Error).message}`);
    }
    if (this.remote) {
      // The Tinker API cannot send weights back: exportHF saves a sampler checkpoint on the
      // service and says where (a UserError naming the tinker:// path).
      try {
        await this.remote.exportHF(join(this.runDir, 'models', 'final'));
      } catch (err) {
        this.log(`final model: ${(err as Error).message}`);
      }
    } else {
      await this.policy.exportHF(join(this.runDir, 'models', 'final'));
      this.log(`final model: ${join(this.runDir, 'models', 'final')}`);
    }
    if (this.state.results.length > 0) {
      this.log('');
      this.log(formatResultsText(this.state.results));
    }
    writeJsonAtomic(join(this.runDir, 'summary.json'), {
      reward: this.recipe.reward.judge ? 'hybrid' : 'rule-only',
      rl: { flops: this.state.rlFlops, wall_s: this.state.rlSeconds, steps: this.state.rlStep },
      'sft-continued': { flops: this.state.sftContFlops, wall_s: this.state.sftContSeconds },
      note: 'FLOPs are counted (src/train/flops.ts); wall seconds cover this process only (parts before a resume are lost)',
    });
    this.log(this.recipe.reward.judge ? `reward: hybrid (rule + judge ${this.recipe.reward.judge.model})` : 'reward: rule-only (no judge was configured)');
    this.log(`compute: RL ${(this.state.rlFlops / 1e12).toFixed(3)} TFLOP in ${this.state.rlSeconds.toFixed(0)}s; sft-continued ${(this.state.sftContFlops / 1e12).toFixed(3)} TFLOP in ${this.state.sftContSeconds.toFixed(0)}s (wall times of this process; resumed parts excluded)`);
    return { runDir: this.runDir, results: this.state.results };
  }
}

/** Thrown by the `stopAfterLines` test hook. */
export class StopForTest extends Error {
  override readonly name = 'StopForTest';
}

/** The resolved recipe of an existing run folder (its config.yaml). */
export function recipeOfRun(runDir: string): Recipe {
  const p = join(runDir, 'config.yaml');
  if (!existsSync(p)) throw new UserError(`${runDir} has no config.yaml: is it a longrl run folder?`);
  return parseRecipeYaml(readFileSync(p, 'utf8'), p);
}

/** A default run folder name: runs/<name>-<UTC timestamp>. */
export function defaultRunDir(name: string): string {
  const ts = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return join('runs', `${name}-${ts}`);
}
