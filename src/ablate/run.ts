/**
 * `longrl ablate`: the paper's ablations at equal compute (issue 12), in one folder.
 *
 *   probe (seconds per FLOP) → estimate and size to --budget
 *   → shared/       the recipe's pretrain + SFT, once (RecipeRun, stops after eval sft)
 *   → runs/<variant>-seed<i>/  each variant's RL from the shared SFT checkpoint, on the
 *                   same FLOP budget (counted, src/train/flops.ts), evaluated at every
 *                   length on the same held-out items; seeds in the outer loop, so a cut
 *                   job has every variant at the first seeds
 *   → ablation.json (contracts.md §4), ablation.md (table + comparisons), ablation.svg,
 *     report.html (src/observe picks up ablation.json)
 *
 * Wall time is measured and reported, never used as a budget inside a run. `--budget`
 * bounds the whole job: the plan is sized to fit, a run that would not finish before the
 * deadline is not started, and one that is still running at the deadline is stopped at
 * its next step (its folder stays resumable); rows are written for what finished.
 * `--resume DIR` continues: finished runs (`ablate-done.json`) are not redone, an
 * interrupted one continues from its checkpoint.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readModelConfig } from '../model/config.ts';
import { writeModelFolder } from '../model/folder.ts';
import { readRecords, writeRecords } from '../data/io/index.ts';
import { writeReport } from '../observe/report.ts';
import { LocalPolicy } from '../policy/local.ts';
import { loadTokenizer } from '../tokenizer/load.ts';
import { evalLengths, parseRecipeYaml, recipeToYaml, type Recipe } from '../train/config.ts';
import { flopModel, trainFlops, type FlopModel } from '../train/flops.ts';
import { buildInitModel, RecipeRun } from '../train/recipe.ts';
import { promptIds, responseIds } from '../train/data.ts';
import { sftTotalSteps } from '../train/sft.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFile, writeFileAtomic, writeJsonAtomic } from '../util/fsx.ts';
import { readJsonl } from '../util/jsonl.ts';
import { evalFlops, rlRunSeconds, sizePlan, stageFlopBudgets, type Plan, type Rates } from './budget.ts';
import { ablationChartSvg } from './chart.ts';
import { probeRates } from './probe.ts';
import { filesHeldOut, longAnswerRecords, sftLongAnswersRecipe, sftStepsForFlops } from './sft-long.ts';
import { ablationMarkdown, ablationRows, type AblationRow, type SeedResult } from './stats.ts';
import { configHash, dedupeVariants, JUDGE_VARIANTS, rlTemplate, variantRecipe, type PlannedVariant, type SharedStart, type VariantName } from './variants.ts';
import { shrinkTiny } from './tiny.ts';

export interface AblateOptions {
  /** The recipe as loaded (relative paths against `baseDir`); null with `resume` (the folder's recipe.yaml). */
  recipe: Recipe | null;
  baseDir: string;
  outDir: string;
  resume?: boolean;
  seeds: number;
  /** Whole-job wall-clock limit in minutes; null = none. */
  budgetMin: number | null;
  variants: VariantName[];
  size: 'tiny' | 'full';
  log?: (line: string) => void;
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** What ablate-state.json keeps so `--resume` continues the same job. */
interface AblateState {
  version: 1;
  seeds: number;
  size: 'tiny' | 'full';
  variants: VariantName[];
  plan: Plan | null;
  rates: Rates | null;
  stageFlops_K: number[] | null;
}

export interface AblateResult {
  outDir: string;
  rows: AblationRow[];
  partial: boolean;
  notes: string[];
}

/** Thrown from a run's log when the job's deadline has passed (the run stops at its next step). */
class DeadlineReached extends Error {
  override readonly name = 'DeadlineReached';
}

const DONE = 'ablate-done.json';

interface RunDone {
  /** True when this process ran it (false: read from an earlier process's marker). */
  fresh?: boolean;
  seconds: number;
  flops: number;
  byLength: Record<number, { accuracy: number; n: number }>;
}

/** Mixed-set rows (no task) of one model in a run folder's results.json. */
function readRows(runDir: string, model: string): Record<number, { accuracy: number; n: number }> | null {
  const p = join(runDir, 'results.json');
  if (!existsSync(p)) return null;
  const rows = readJsonFile<{ model: string; length: number; accuracy: number; n: number; task?: string }[]>(p);
  const mine = rows.filter((r) => r.model === model && r.task === undefined);
  if (mine.length === 0) return null;
  return Object.fromEntries(mine.map((r) => [r.length, { accuracy: r.accuracy, n: r.n }]));
}

/**
 * Seconds per counted FLOP of a run's pretraining and SFT steps (its metrics lines, the
 * sft-continued baseline excluded), or null when it logged none.
 */
export function trainSecondsPerFlop(runDir: string): number | null {
  let s = 0;
  let f = 0;
  for (const o of metricLines(runDir)) {
    if ((o['phase'] !== 'sft' && o['phase'] !== 'pretrain') || o['baseline'] !== undefined) continue;
    if (typeof o['time/step_s'] === 'number' && typeof o['perf/flops'] === 'number') {
      s += o['time/step_s'];
      f += o['perf/flops'];
    }
  }
  return f > 0 ? s / f : null;
}

/** Counted RL FLOPs of a finished run (its last RL metrics line). */
function rlFlopsOf(runDir: string): number {
  let f = 0;
  for (const o of metricLines(runDir)) if (typeof o['perf/total_flops'] === 'number') f = o['perf/total_flops'];
  return f;
}

/** A run folder's metrics.jsonl lines (none when it has no such file). */
function metricLines(runDir: string): Record<string, unknown>[] {
  const p = join(runDir, 'metrics.jsonl');
  return existsSync(p) ? readJsonl<Record<string, unknown>>(p).map((l) => l.value) : [];
}

export async function runAblation(opts: AblateOptions): Promise<AblateResult> {
  const t0 = Date.now();
  const deadline = opts.budgetMin === null ? Infinity : t0 + opts.budgetMin * 60_000;
  const out = resolve(opts.outDir);
  const say = opts.log ?? ((l: string) => process.stdout.write(`${l}\n`));
  const notes: string[] = [];
  // What the plan that runs cut to fit the budget (the re-plan after the shared phase replaces the first plan's).
  let cutNotes: string[] = [];
  const statePath = join(out, 'ablate-state.json');

  // ---- the job's recipe and state ----
  let state: AblateState;
  let base: Recipe;
  if (opts.resume) {
    if (!existsSync(statePath)) throw new UserError(`${out} has no ablate-state.json: is it an ablation folder?`);
    state = readJsonFile<AblateState>(statePath);
    base = parseRecipeYaml(readFileSync(join(out, 'config.yaml'), 'utf8'), join(out, 'config.yaml'));
    say(`resuming ablation ${out}`);
  } else {
    mkdirSync(out, { recursive: true });
    const existing = readdirSync(out).filter((n) => !n.startsWith('.'));
    if (existing.length > 0) throw new UserError(`${out} is not empty: continue it with --resume ${out}, or choose another --out`);
    if (!opts.recipe) throw new UserError('ablate needs a recipe (or --resume DIR)');
    base = opts.size === 'tiny' ? shrinkTiny(opts.recipe) : structuredClone(opts.recipe);
    // Paths made absolute, so recipe.yaml works from anywhere.
    if (base.model.path !== undefined) base.model.path = resolve(opts.baseDir, base.model.path);
    if (base.data.files) for (const k of ['sft', 'rl', 'test', 'pretrain'] as const) if (base.data.files[k] !== undefined) base.data.files[k] = resolve(opts.baseDir, base.data.files[k]);
    writeFileAtomic(join(out, 'config.yaml'), recipeToYaml(base));
    state = { version: 1, seeds: opts.seeds, size: opts.size, variants: opts.variants, plan: null, rates: null, stageFlops_K: null };
    writeJsonAtomic(statePath, state);
  }
  if (!base.sft) notes.push('the recipe has no sft section: the variants start from the recipe model (no shared SFT)');

  // ---- which variants run ----
  let wanted = state.variants.filter((v) => {
    if (JUDGE_VARIANTS.includes(v) && !base.reward.judge) {
      notes.push(`${v} skipped: no judge is configured (reward.judge), so hybrid and rule-only would be the same run`);
      return false;
    }
    if (v === 'sft-long-answers' && !base.sft) {
      notes.push('sft-long-answers skipped: the recipe has no sft section to take the optimizer settings from');
      return false;
    }
    return true;
  });
  if (wanted.length === 0) throw new UserError('no variant left to run (see the notes above)');

  // ---- the starting model (also the probe's) ----
  let startModel: string;
  if (base.model.path !== undefined) startModel = base.model.path;
  else {
    startModel = join(out, 'init-model');
    if (!existsSync(join(startModel, 'config.json'))) {
      const init = base.model.init!;
      const tmp = `${startModel}.tmp`;
      rmSync(tmp, { recursive: true, force: true });
      writeModelFolder(tmp, buildInitModel(init.preset, init.shape ?? {}, init.seed));
      renameSync(tmp, startModel);
    }
  }
  const fm: FlopModel = flopModel(readModelConfig(startModel));

  // ---- probe and plan ----
  const lengths = evalLengths(base);
  const stages = base.rl.stages;
  const maxIn = Math.max(...stages.map((s) => s.maxInputTokens));
  const outCap = Math.max(...stages.map((s) => s.maxOutputTokens));
  if (state.rates === null) {
    // The probe runs the local engine (for a remote policy it is only a rough local estimate).
    const threads = base.policy.kind === 'local' ? base.policy.threads : undefined;
    const packRows = base.policy.kind === 'local' ? base.policy.packRows : undefined;
    const policy = LocalPolicy.fromFolder(startModel, { ...(threads !== undefined ? { threads } : {}), ...(packRows !== undefined ? { packRows } : {}), lora: null });
    const sftLen = Math.max(...(base.data.synth?.sft.lengths ?? [stages[0]!.maxInputTokens]));
    state.rates = await probeRates(policy, fm, {
      trainTokens: Math.min(sftLen, maxIn), batchSize: Math.min(16, base.sft?.batchSize ?? 16), prompts: Math.min(4, base.rl.promptsPerStep), promptTokens: maxIn, n: base.rl.groupSize,
      maxTokens: outCap, vocabSize: readModelConfig(startModel).vocabSize,
      rlTrainTokens: maxIn + outCap, rlBatchSize: Math.min(64, base.rl.promptsPerStep * base.rl.groupSize),
    });
  }
  const rates = state.rates;
  const stageFlops1_K = stageFlopBudgets(base, fm);
  const rlFlops1 = stageFlops1_K.reduce((a, b) => a + b, 0);
  const evalOut = Math.min(base.eval.maxTokens ?? outCap, 24);
  const evalS = evalFlops(fm, lengths, base.eval.itemsPerLength, evalOut) * rates.sample_s;
  const synthSft = base.data.synth?.sft;
  const sftLen = Math.max(...(synthSft?.lengths ?? [stages[0]!.maxInputTokens]));
  const sftRecords = (synthSft?.lengths?.length ?? 1) * (synthSft?.count ?? 0);
  const sharedFlops = (base.pretrain ? base.pretrain.steps * base.pretrain.batchSize * trainFlops(fm, sftLen) : 0)
    + (base.sft ? sftTotalSteps(base.sft, sftRecords) * base.sft.batchSize * trainFlops(fm, sftLen + 32) : 0);
  const sharedS = sharedFlops * rates.train_s + evalS;
  const rlRunS = rlRunSeconds(base, fm, stageFlops1_K, rates);

  // Dedupe on the recipe as it would run (FLOP budgets at scale 1; the scale is common to all).
  const start: SharedStart = { modelDir: join(out, 'shared', 'models', 'final'), rlFile: join(out, 'shared', 'data', 'rl.jsonl'), testFile: join(out, 'shared', 'data', 'test.jsonl') };
  if (base.data.files) {
    start.rlFile = base.data.files.rl;
    start.testFile = base.data.files.test;
  }
  const planVariants = (template: Recipe): PlannedVariant[] =>
    dedupeVariants(wanted.map((v) => ({ name: v, hash: v === 'sft-long-answers' ? 'sft-long-answers' : configHash(variantRecipe(template, v)) })));
  let planned = planVariants(rlTemplate(base, start, stageFlops1_K));
  const aliases: Record<string, string> = {};
  for (const p of planned) if (p.runsAs !== p.name) aliases[p.name] = p.runsAs;
  for (const [a, b] of Object.entries(aliases)) say(`${a} is the same run as ${b} (identical resolved config): reported as an alias`);

  if (state.plan === null) {
    state.plan = sizePlan({
      budgetS: opts.budgetMin === null ? null : opts.budgetMin * 60, sharedS, rlRunS, evalS, seeds: state.seeds,
      variants: planned.filter((p) => p.runsAs === p.name).map((p) => p.name),
    });
    state.stageFlops_K = stageFlops1_K.map((f) => f * state.plan!.flopScale);
    writeJsonAtomic(statePath, state);
  }
  const allRuns = planned.filter((p) => p.runsAs === p.name).map((p) => p.name);
  let plan = state.plan;
  let stageFlops_K = state.stageFlops_K!;
  const wantedAll = wanted;
  const plannedAll = planned;
  const applyPlan = () => {
    wanted = wantedAll.filter((v) => plan.variants.includes(aliases[v] ?? v));
    planned = plannedAll.filter((p) => plan.variants.includes(p.runsAs));
  };
  applyPlan();
  let budgetFlops = stageFlops_K.reduce((a, b) => a + b, 0);
  say(`probe: training ${(1 / rates.train_s / 1e9).toFixed(2)} GFLOP/s${rates.rlTrain_s ? ` (${(1 / rates.rlTrain_s / 1e9).toFixed(2)} at the RL shape)` : ''}, sampling ${(1 / rates.sample_s / 1e9).toFixed(2)} GFLOP/s (counted model FLOPs)`);
  say(`RL budget per variant run: ${(budgetFlops / 1e12).toFixed(4)} TFLOP (stages ${stageFlops_K.map((f) => (f / 1e12).toFixed(4)).join(' + ')}), counted, equal for every variant`);
  say(`estimate: shared pretrain+SFT ${fmtS(plan.sharedS)}, each run ${fmtS(plan.runS)}, ${plan.seeds} seeds × ${plan.variants.length} runs (${plan.variants.join(', ')}): about ${fmtS(plan.totalS)} in all${opts.budgetMin !== null ? ` (budget ${fmtS(opts.budgetMin * 60)})` : ''}`);
  cutNotes = plan.cuts.map((c) => `to fit the budget: ${c}`);
  for (const c of cutNotes) say(c);
  if (plan.seeds < 2) notes.push('one seed: no spread, so no difference can be called beyond noise');

  // ---- helpers ----
  mkdirSync(join(out, 'logs'), { recursive: true });
  let correction = 1;
  const guardLog = (name: string) => {
    const file = join(out, 'logs', `${name}.log`);
    return (line: string) => {
      writeFileSync(file, `${line}\n`, { flag: 'a' });
      if (/^(eval |stage |resumed |reward:)/.test(line)) say(`[${name}] ${line}`);
      if (Date.now() > deadline) throw new DeadlineReached(`deadline reached during ${name}`);
    };
  };
  const runRecipe = async (name: string, dir: string, recipe: Recipe, model: string, stopAfter?: 'eval-sft'): Promise<RunDone | 'deadline'> => {
    if (existsSync(join(dir, DONE))) return readJsonFile<RunDone>(join(dir, DONE));
    const t = Date.now();
    const resume = existsSync(join(dir, 'config.yaml'));
    if (!resume) rmSync(dir, { recursive: true, force: true });
    const run = new RecipeRun(recipe, { runDir: dir, resume, baseDir: out, log: guardLog(name), ...(stopAfter ? { stopAfter } : {}), ...(opts.progressStream ? { progressStream: opts.progressStream } : {}) });
    try {
      await run.run();
    } catch (err) {
      if (!(err instanceof DeadlineReached)) throw err;
      // The deadline may fall after the results were written (final lines): those count.
      if (readRows(dir, model) === null) return 'deadline';
    }
    const byLength = readRows(dir, model);
    if (byLength === null) throw new Error(`${dir}: the run finished without ${model} results`);
    const done: RunDone = { seconds: (Date.now() - t) / 1000, flops: rlFlopsOf(dir), byLength };
    writeJsonAtomic(join(dir, DONE), done);
    return { ...done, fresh: true };
  };

  const results: SeedResult[] = [];
  const compute: { variant: string; seconds: number; flops: number }[] = [];
  let sftRef: Record<number, number> | null = null;
  const emit = () => {
    const rows = ablationRows(wanted.flatMap((v) => results.filter((r) => r.variant === (aliases[v] ?? v)).map((r) => ({ ...r, variant: v }))));
    writeJsonAtomic(join(out, 'ablation.json'), rows);
    const reference = sftRef ? [{ name: 'sft', byLength: sftRef }] : [];
    const md = ablationMarkdown(rows, { aliases, reference, notes: [...computeNotes(compute, budgetFlops), ...notes, ...cutNotes] });
    writeFileAtomic(join(out, 'ablation.md'), md);
    if (rows.length > 0) writeFileAtomic(join(out, 'ablation.svg'), ablationChartSvg(rows, reference));
    return { rows, md };
  };

  // ---- shared pretrain + SFT ----
  let partial = false;
  const sharedRecipe: Recipe = structuredClone(base);
  sharedRecipe.model = { path: startModel };
  sharedRecipe.eval = { ...sharedRecipe.eval, lengths: lengths, models: base.sft ? ['sft'] : ['base'] };
  const sharedDir = join(out, 'shared');
  const shared = await runRecipe('shared', sharedDir, sharedRecipe, base.sft ? 'sft' : 'base', 'eval-sft');
  if (shared === 'deadline') {
    partial = true;
    notes.push('the deadline came during the shared pretrain/SFT phase: no variant ran (continue with --resume and a larger --budget)');
  } else {
    sftRef = Object.fromEntries(Object.entries(shared.byLength).map(([L, c]) => [Number(L), c.accuracy]));
    say(`shared start (${base.sft ? 'sft' : 'base'}): ${Object.entries(sftRef).map(([L, a]) => `${L}: ${a.toFixed(1)}%`).join('  ')} (${fmtS(shared.seconds)})`);
    if (!base.sft) start.modelDir = startModel;
    // Re-size with the time really left once the shared phase is measured (before any RL
    // run, so every variant still gets the same FLOPs).
    if (opts.budgetMin !== null && !existsSync(join(out, 'runs'))) {
      // The shared phase's training steps are a real measurement of this machine now: scale
      // the probe's estimates by how far off its training rate was for them (never below a
      // tenth). Its wall time as a whole is not the measure: data synthesis and evaluations
      // are fixed costs the FLOP estimate leaves out, and counting them (1.25x on the demo)
      // cut every RL run to 64% where 81% fitted.
      const measured = shared.fresh ? trainSecondsPerFlop(sharedDir) : null;
      const k = measured !== null ? Math.max(0.1, measured / rates.train_s) : shared.fresh ? Math.max(0.1, shared.seconds / Math.max(1e-9, plan.sharedS)) : 1;
      const again = sizePlan({ budgetS: Math.max(0, (deadline - Date.now()) / 1000), sharedS: 0, rlRunS: rlRunS * k, evalS: evalS * k, seeds: state.seeds, variants: allRuns });
      plan = { ...again, sharedS: plan.sharedS, totalS: (Date.now() - t0) / 1000 + again.totalS };
      state.plan = plan;
      state.stageFlops_K = stageFlops_K = stageFlops1_K.map((f) => f * plan.flopScale);
      budgetFlops = stageFlops_K.reduce((a, b) => a + b, 0);
      writeJsonAtomic(statePath, state);
      applyPlan();
      correction = 1;
      say(`re-planned with ${fmtS((deadline - Date.now()) / 1000)} left (the shared phase trained at ${(1 / k).toFixed(2)}× the probe's rate): RL ${(budgetFlops / 1e12).toFixed(4)} TFLOP per run (${(100 * plan.flopScale).toFixed(0)}% of the recipe's), ${plan.seeds} seeds × ${plan.variants.length} runs (${plan.variants.join(', ')}), about ${fmtS(again.totalS)} more`);
      cutNotes = again.cuts.map((c) => `to fit the budget (after the shared phase): ${c}`);
    }
    const template = rlTemplate(base, start, stageFlops_K);

    // ---- the variants, seed-major ----
    outer: for (let i = 0; i < plan.seeds; i++) {
      for (const p of planned) {
        if (p.runsAs !== p.name) continue;
        const name = `${p.name}-seed${i + 1}`;
        const dir = join(out, 'runs', name);
        const estimate = plan.runS * correction;
        if (!existsSync(join(dir, DONE)) && Date.now() + estimate * 1000 > deadline) {
          partial = true;
          notes.push(`stopped before ${name}: about ${fmtS(estimate)} needed, ${fmtS(Math.max(0, (deadline - Date.now()) / 1000))} left of the budget; the rows hold the runs that finished`);
          break outer;
        }
        let recipe: Recipe;
        let model = 'rl-final';
        if (p.name === 'sft-long-answers') {
          recipe = await sftLongRecipe(base, template, start, out, fm, budgetFlops, base.seed + i);
          model = 'sft';
        } else recipe = variantRecipe(template, p.name);
        recipe.seed = base.seed + i;
        say(existsSync(join(dir, DONE)) ? `${name}: finished earlier, not redone` : `run ${name}`);
        const done = await runRecipe(name, dir, recipe, model, model === 'sft' ? 'eval-sft' : undefined);
        if (done === 'deadline') {
          partial = true;
          notes.push(`stopped during ${name} at the deadline (its folder resumes with --resume); the rows hold the runs that finished`);
          break outer;
        }
        correction = Math.max(correction * 0.5, done.seconds / Math.max(1, plan.runS));
        say(`[${name}] done in ${fmtS(done.seconds)}: ${Object.entries(done.byLength).map(([L, c]) => `${L}: ${c.accuracy.toFixed(1)}%`).join('  ')}${done.flops > 0 ? ` (${(done.flops / 1e12).toFixed(4)} TFLOP)` : ''}`);
        results.push({ variant: p.name, seed: i + 1, byLength: done.byLength });
        compute.push({ variant: p.name, seconds: done.seconds, flops: model === 'sft' ? budgetFlops : done.flops });
        emit();
      }
    }
  }
  const { rows, md } = emit();
  if (partial) say('partial: not every planned run finished inside the budget (see ablation.md)');
  try {
    await writeReport(out);
  } catch (err) {
    say(`report: could not write report.html: ${(err as Error).message}`);
  }
  say('');
  say(md.trimEnd());
  say(`wall time ${fmtS((Date.now() - t0) / 1000)}${opts.budgetMin !== null ? ` of a ${fmtS(opts.budgetMin * 60)} budget` : ''}`);
  return { outDir: out, rows, partial, notes };
}

/** Builds the sft-long-answers data file (once) and recipe at the RL FLOP budget. */
async function sftLongRecipe(base: Recipe, template: Recipe, start: SharedStart, out: string, fm: FlopModel, budgetFlops: number, seed: number): Promise<Recipe> {
  const file = join(out, 'data', 'sft-long-answers.jsonl');
  const records = longAnswerRecords(await readRecords(start.rlFile));
  if (!existsSync(file)) {
    mkdirSync(join(out, 'data'), { recursive: true });
    writeRecords(file, records);
  }
  const tok = loadTokenizer(start.modelDir);
  const eos = tok.tokenToId('<|im_end|>') ?? (tok.eosTokenIds[0] as number);
  const trained = records.slice(filesHeldOut(records.length));
  const tokens_N = trained.map((r) => promptIds(tok, r).length + responseIds(tok, r, eos).length - 1);
  const { steps } = sftStepsForFlops(tokens_N, base.sft!.batchSize, seed, fm, budgetFlops);
  return sftLongAnswersRecipe(template, base, file, Math.max(1, steps));
}

/** Compute per variant: counted FLOPs (the budget) and wall time beside it, means over seeds. */
function computeNotes(compute: readonly { variant: string; seconds: number; flops: number }[], budgetFlops: number): string[] {
  const out = [`compute: every run has the same counted budget of ${(budgetFlops / 1e12).toFixed(4)} TFLOP (RL: sampling + training, stopping at the first step that reaches it; sft-long-answers: training); wall time is reported, never budgeted`];
  for (const v of [...new Set(compute.map((c) => c.variant))]) {
    const cs = compute.filter((c) => c.variant === v);
    const f = cs.reduce((a, c) => a + c.flops, 0) / cs.length;
    const t = cs.reduce((a, c) => a + c.seconds, 0) / cs.length;
    out.push(`${v}: ${(f / 1e12).toFixed(4)} TFLOP counted, ${fmtS(t)} wall per run (mean of ${cs.length}, RL plus its evaluation, on a shared machine)`);
  }
  return out;
}

function fmtS(s: number): string {
  if (!Number.isFinite(s)) return '∞';
  if (s < 90) return `${s.toFixed(0)}s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}
