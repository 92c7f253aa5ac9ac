/**
 * The full RL step of the recipe (ARCHITECTURE.md, "data flow of one RL step"; the
 * short readable version is rl_loop.ts):
 *
 *   curriculum picks prompt ids → policy.sample(prompts, {n: G}) (prompt prefilled once
 *   per group) → hybrid reward (rule, judge when configured, overlong shaping) → DAPO
 *   dynamic sampling with bounded refill → advantages → datums → PPO updates over
 *   mini-batches with `makePolicyLossFn` → optimStep → curriculum.observe(rewards).
 *
 * Old log-probs: with one mini-batch and one PPO epoch the update is on-policy and the
 * loss uses ρ ≡ 1 (verl's shortcut; the sampler's log-probs ride along only to log
 * `rollout/logprob_gap`); otherwise they are recomputed with `policy.forward` before the
 * first update (verl `old_log_prob`), since the sampler's numbers can differ from the
 * trainer's (rl-algorithms.md §11.4).
 *
 * Rollouts on inference servers (`sampler: {kind: vllm | sglang}`): `ctx.sampler` samples
 * instead of the policy (src/train/remote-sampler.ts syncs the weights first when they
 * changed); each sequence carries its weight version, logged as `rollout/weight_version`
 * (and `weight_version` in samples.jsonl), beside the sync time `timing_s/weight_sync`
 * (part of `timing_s/gen`) and the same `rollout/logprob_gap` as the local sampler's.
 *
 * Everything random derives from (run seed, RL step, generation batch), and the
 * curriculum's state is saved in checkpoints, so a resumed step is bit-identical.
 */
import type { Datum, Policy, SampleParams, SampledSequence } from '../policy/types.ts';
import type { DocQARecord } from '../data/record.ts';
import { goldAnswers } from '../data/record.ts';
import { renderPrompt } from '../data/prompt.ts';
import type { Curriculum } from '../curriculum/curriculum.ts';
import { hybridReward, type HybridResult } from '../reward/hybrid.ts';
import type { Judge } from '../reward/judge.ts';
import { broadcastAdvantages, computeAdvantages } from '../rl/advantages.ts';
import { collectDynamicBatch } from '../rl/dynamic-sampling.ts';
import { makePolicyLossFn } from '../rl/loss-fn.ts';
import { rlBatchMetrics } from '../rl/metrics.ts';
import { UserError } from '../util/errors.ts';
import { hash32 } from '../util/rng.ts';
import { aggModeOf, dynamicSamplingOn, type RlConfig } from './config.ts';
import { sampleFlops, trainFlops, forwardFlops, type FlopModel } from './flops.ts';
import { adamFor, responseDatum } from './sft.ts';

export interface RlItem {
  record: DocQARecord;
  prompt: number[];
}

export interface RlContext {
  policy: Policy;
  rl: RlConfig;
  curriculum: Curriculum;
  items: ReadonlyMap<string, RlItem>;
  judge: Judge | null;
  compat: 'default' | 'reference';
  decode: (ids: readonly number[]) => string;
  stopTokenIds: readonly number[];
  seed: number;
  fm: FlopModel;
  /**
   * Whether the policy can return token entropies (default true). Remote policies cannot
   * (the Tinker API returns none): `actor/entropy` is then not logged.
   */
  entropyAvailable?: boolean;
  /** Samples instead of `policy.sample` when set (inference servers); null/absent = the policy. */
  sampler?: RolloutSampler | null;
}

/** Who samples the rollouts when it is not the policy: sequences may carry their weight version. */
export interface RolloutSampler {
  sample(prompts: readonly (readonly number[])[], params: SampleParams): Promise<(SampledSequence & { weightVersion?: number })[][]>;
  /** Metrics of the step so far (e.g. weight-sync time), reset on read. */
  takeMetrics?(): Record<string, number>;
}

/** One prompt's G samples, scored. */
export interface ScoredGroup {
  id: string;
  item: RlItem;
  samples: SampledSequence[];
  results: HybridResult[];
  /** Shaped rewards (what the advantage sees). */
  rewards_G: number[];
  /** Accuracy before shaping (what DAPO filters on). */
  acc_G: number[];
}

export interface RlStepOutput {
  metrics: Record<string, number>;
  /** Counted model FLOPs of the step (sampling + old log-probs + updates). */
  flops: number;
  samples: { id: string; response: string; reward: number; acc: boolean; weight_version?: number }[];
}

/** The sampling seed of generation batch `k` of RL step `step`. */
export function rolloutSeed(seed: number, step: number, k: number): number {
  return hash32(`rollout|${seed}|${step}|${k}`);
}

/** The overlong buffer: the configured one capped at Lmax, or 10% of Lmax (QwenLong's 1000 of 10000). */
export function overlongBuffer(rl: RlConfig, maxLen: number): number {
  return Math.max(1, Math.min(rl.overlong.buffer ?? Math.ceil(0.1 * maxLen), maxLen));
}

function stripStop(tokens: readonly number[], stop: ReadonlySet<number>): readonly number[] {
  const last = tokens[tokens.length - 1];
  return last !== undefined && stop.has(last) ? tokens.slice(0, -1) : tokens;
}

/** Samples and scores the groups of some record ids (one generation batch). */
export async function rolloutGroups(ctx: RlContext, ids: readonly string[], maxTokens: number, seed: number): Promise<{ groups: ScoredGroup[]; genS: number; rewardS: number; flops: number; rewardMetrics: Record<string, number> }> {
  const items = ids.map((id) => {
    const it = ctx.items.get(id);
    if (!it) throw new Error(`rl: curriculum returned unknown id ${id}`);
    return it;
  });
  const G = ctx.rl.groupSize;
  const t0 = performance.now();
  const sampler = ctx.sampler ?? ctx.policy;
  const sampled: (SampledSequence & { weightVersion?: number })[][] = await sampler.sample(items.map((it) => it.prompt), {
    n: G, temperature: ctx.rl.temperature, topP: ctx.rl.topP, topK: ctx.rl.topK, maxTokens, stopTokenIds: ctx.stopTokenIds, seed,
  });
  const t1 = performance.now();
  const stop = new Set(ctx.stopTokenIds);
  const flat = items.flatMap((it, k) => (sampled[k] ?? []).map((s) => ({
    dataSource: it.record.data_source,
    response: ctx.decode(stripStop(s.tokens, stop)),
    groundTruth: goldAnswers(it.record),
    question: it.record.question,
    prompt: renderPrompt(it.record),
    responseLength: s.tokens.length,
  })));
  const overlong = ctx.rl.overlong.enabled ? { maxLen: maxTokens, buffer: overlongBuffer(ctx.rl, maxTokens), factor: ctx.rl.overlong.factor } : null;
  const batch = await hybridReward(flat, { judge: ctx.judge, overlong, rule: { compat: ctx.compat, mode: 'rl' } });
  const t2 = performance.now();
  let flops = 0;
  const groups = items.map((it, k): ScoredGroup => {
    const samples = sampled[k] ?? [];
    if (samples.length !== G) throw new Error(`rl: policy returned ${samples.length} samples for ${ids[k]}, expected ${G}`);
    const results = batch.results.slice(k * G, (k + 1) * G);
    flops += sampleFlops(ctx.fm, it.prompt.length, samples.map((s) => s.tokens.length));
    return { id: ids[k] as string, item: it, samples, results, rewards_G: results.map((r) => r.reward), acc_G: results.map((r) => (r.acc ? 1 : 0)) };
  });
  return { groups, genS: (t1 - t0) / 1000, rewardS: (t2 - t1) / 1000, flops, rewardMetrics: batch.metrics };
}

/** Datums of the trained groups: prompt ++ response, mask on the response, advantages and sampler log-probs per token. */
export function groupDatums(groups: readonly ScoredGroup[], advantages_B: ArrayLike<number>): Datum[] {
  const datums: Datum[] = [];
  let b = 0;
  for (const g of groups) {
    for (const s of g.samples) {
      const d = responseDatum(g.item.prompt, s.tokens);
      const T = d.mask_T.length;
      const samplerLogprobs_T = new Float32Array(T);
      const first = Math.max(0, g.item.prompt.length - 1);
      s.logprobs.forEach((lp, r) => (samplerLogprobs_T[first + r] = lp));
      const [advantages_T] = broadcastAdvantages([advantages_B[b] as number], [d.mask_T]);
      d.extra = { advantages_T: advantages_T as Float32Array, samplerLogprobs_T };
      datums.push(d);
      b++;
    }
  }
  return datums;
}

function versionOf(s: SampledSequence | undefined): number | undefined {
  return (s as { weightVersion?: number } | undefined)?.weightVersion;
}

function meanInto(acc: Map<string, { sum: number; n: number }>, m: Record<string, number>): void {
  for (const [k, v] of Object.entries(m)) {
    if (!Number.isFinite(v)) continue;
    const e = acc.get(k) ?? { sum: 0, n: 0 };
    e.sum += v;
    e.n++;
    acc.set(k, e);
  }
}

/**
 * One RL step (0-based global RL step `step`) in the current curriculum stage; returns
 * its metrics (rl-algorithms.md §12 names). `lr` is the stage's learning rate.
 */
export async function rlStep(ctx: RlContext, step: number, lr: number): Promise<RlStepOutput> {
  const rl = ctx.rl;
  if (rl.klCoef !== 0) throw new UserError('rl.klCoef: KL against a reference policy is not supported by the local trainer yet; set rl.klCoef: 0 (the paper uses no KL)');
  const tStep = performance.now();
  const stage = ctx.curriculum.stageConfig;
  const maxTokens = stage.maxOutputTokens;
  const dynamic = dynamicSamplingOn(rl);
  let genS = 0;
  let rewardS = 0;
  let flops = 0;
  const generated: ScoredGroup[] = [];
  const rewardAcc = new Map<string, { sum: number; n: number }>();
  let k = 0;
  const generate = async (): Promise<ScoredGroup[]> => {
    const ids = ctx.curriculum.nextBatch();
    const r = await rolloutGroups(ctx, ids, maxTokens, rolloutSeed(ctx.seed, step, k++));
    genS += r.genS;
    rewardS += r.rewardS;
    flops += r.flops;
    meanInto(rewardAcc, r.rewardMetrics);
    for (const g of r.groups) ctx.curriculum.observe(g.id, g.results.map((x) => x.score));
    generated.push(...r.groups);
    return r.groups;
  };
  let trained: ScoredGroup[];
  const metrics: Record<string, number> = {};
  if (dynamic) {
    const c = await collectDynamicBatch({
      generate,
      trainBatchSize: rl.promptsPerStep,
      maxGenBatches: rl.dynamicSampling.maxGenBatches,
      onExhausted: rl.dynamicSampling.onExhausted,
      metricOf: (g) => g.acc_G,
    });
    trained = c.groups;
    Object.assign(metrics, c.metrics);
  } else {
    trained = (await generate()).slice(0, rl.promptsPerStep);
    metrics['train/num_gen_batches'] = 1;
  }

  // Rewards and lengths over everything generated (the policy's current behaviour).
  const allResults = generated.flatMap((g) => g.results);
  const allLengths = generated.flatMap((g) => g.samples.map((s) => s.tokens.length));
  Object.assign(metrics, rlBatchMetrics({
    scores_B: allResults.map((r) => r.score),
    rewards_B: allResults.map((r) => r.reward),
    responseLengths_B: allLengths,
    maxResponseLength: maxTokens,
  }));
  for (const [key, e] of rewardAcc) metrics[key] = key.startsWith('reward/judge') || key === 'reward/no_answer' || key === 'reward/overlong_penalized' ? e.sum : e.sum / e.n;
  metrics['reward/acc'] = allResults.filter((r) => r.acc).length / Math.max(1, allResults.length);
  if (ctx.judge) metrics['reward/judge_calls'] = metrics['reward/judge_requested'] ?? 0;
  metrics['prompt_length/mean'] = generated.reduce((a, g) => a + g.item.prompt.length, 0) / Math.max(1, generated.length);
  metrics['curriculum/phase'] = ctx.curriculum.stage + 1;
  metrics['train/num_groups_trained'] = trained.length;
  const versions = generated.flatMap((g) => g.samples.map(versionOf)).filter((v): v is number => v !== undefined);
  if (versions.length > 0) metrics['rollout/weight_version'] = Math.min(...versions);

  // Advantages over the trained groups (shaped rewards, trap 12).
  const rewards_B = trained.flatMap((g) => g.rewards_G);
  const groupIds_B = trained.flatMap((g, gi) => g.rewards_G.map(() => gi));
  const estimator = rl.algorithm === 'dr-grpo' ? 'dr-grpo' : 'grpo';
  const { advantages_B } = computeAdvantages(estimator, { rewards_B, groupIds_B });
  const datums = groupDatums(trained, advantages_B);
  Object.assign(metrics, rlBatchMetrics({ advantages_B_T: datums.map((d) => d.extra!['advantages_T']!), mask_B_T: datums.map((d) => d.mask_T) }));

  let oldS = 0;
  let updateS = 0;
  if (datums.length > 0) {
    const offPolicy = rl.ppoEpochs > 1 || rl.miniBatches > 1;
    if (offPolicy) {
      const t = performance.now();
      const old = await ctx.policy.forward(datums, { temperature: rl.temperature });
      datums.forEach((d, i) => (d.extra!['oldLogprobs_T'] = old.logprobs[i] as Float32Array));
      for (const d of datums) flops += forwardFlops(ctx.fm, d.inputTokens_T.length);
      oldS = (performance.now() - t) / 1000;
    }
    const lossFn = makePolicyLossFn({
      aggMode: aggModeOf(rl), clipLow: rl.clipLow, clipHigh: rl.clipHigh, clipC: rl.clipC, entropyCoef: rl.entropyCoef,
      ...(aggModeOf(rl) === 'seq-mean-token-sum-norm' ? { agg: { normLength: maxTokens } } : {}),
    });
    if (ctx.entropyAvailable !== false) lossFn.needsEntropy = true; // log actor/entropy even without a bonus
    // Mini-batches of whole groups, in order.
    const G = rl.groupSize;
    const nMb = Math.min(rl.miniBatches, trained.length);
    const perMb = Math.ceil(trained.length / nMb);
    const actor = new Map<string, { sum: number; n: number }>();
    const t = performance.now();
    for (let e = 0; e < rl.ppoEpochs; e++) {
      for (let m = 0; m < nMb; m++) {
        const mb = datums.slice(m * perMb * G, (m + 1) * perMb * G);
        if (mb.length === 0) continue;
        const out = await ctx.policy.forwardBackward(mb, lossFn, { temperature: rl.temperature });
        const opt = await ctx.policy.optimStep(adamFor(lr, rl));
        meanInto(actor, { ...out.metrics, 'actor/grad_norm': opt.gradNorm });
        for (const d of mb) flops += trainFlops(ctx.fm, d.inputTokens_T.length);
      }
    }
    updateS = (performance.now() - t) / 1000;
    for (const [key, v] of actor) metrics[key] = v.sum / v.n;
    metrics['train/optimizer_steps'] = rl.ppoEpochs * nMb;
  } else {
    metrics['train/optimizer_steps'] = 0;
  }
  metrics['actor/lr'] = lr;
  metrics['perf/flops'] = flops;
  metrics['perf/total_num_tokens'] = datums.reduce((a, d) => a + d.inputTokens_T.length, 0);
  metrics['timing_s/gen'] = genS;
  metrics['timing_s/reward'] = rewardS;
  metrics['timing_s/old_log_prob'] = oldS;
  metrics['timing_s/update_actor'] = updateS;
  Object.assign(metrics, ctx.sampler?.takeMetrics?.() ?? {});
  metrics['timing_s/step'] = (performance.now() - tStep) / 1000;
  // Tokens processed per second: sampled (prompt once per group + responses) and trained.
  const sampledTokens = generated.reduce((a, g) => a + g.item.prompt.length + g.samples.reduce((b, s) => b + s.tokens.length, 0), 0);
  metrics['perf/throughput'] = (sampledTokens + metrics['perf/total_num_tokens'] * rl.ppoEpochs) / metrics['timing_s/step'];

  const samples = generated.slice(0, rl.samplesToKeep).map((g) => {
    const version = versionOf(g.samples[0]);
    return {
      id: g.id, response: ctx.decode(g.samples[0]?.tokens ?? []), reward: g.rewards_G[0] ?? 0, acc: (g.acc_G[0] ?? 0) === 1,
      ...(version !== undefined ? { weight_version: version } : {}),
    };
  });
  return { metrics, flops, samples };
}
