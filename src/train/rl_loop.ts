/**
 * A whole GRPO/DAPO loop in one readable file, over nothing but the `Policy` seam and
 * the pure functions of `src/rl/` — the longrl counterpart of tinker-cookbook's
 * `recipes/rl_loop.py`. The full trainer (`rl-trainer.ts` + `recipe.ts`) adds the
 * curriculum, the hybrid reward with a judge, checkpoints and evaluation; this file is
 * the algorithm with none of that, to read (and to copy into an experiment).
 *
 * One step:
 *   1. pick `promptsPerStep` problems;
 *   2. sample G responses per prompt (`policy.sample(prompts, {n: G})`: the prompt is
 *      prefilled once per group and shared by its G samples);
 *   3. score each response → rewards_G;
 *   4. drop groups whose rewards are all equal (they carry no GRPO signal; DAPO's
 *      dynamic sampling, without the refill);
 *   5. GRPO advantages A_i = (r_i − mean_G) / (std_G + 1e-6) (DeepSeekMath, arXiv
 *      2402.03300), the same for every token of response i;
 *   6. one datum per response: prompt ++ response, loss mask on the response tokens;
 *   7. `forwardBackward(datums, PPO-clip loss, token-mean)` then `optimStep` (AdamW).
 *
 * Shapes in names: `_G` per sample of a group, `_T` per token, `_B` per sample of the
 * batch (all groups flattened).
 */
import type { Datum, Policy } from '../policy/types.ts';
import { computeAdvantages } from '../rl/advantages.ts';
import { makePolicyLossFn } from '../rl/loss-fn.ts';
import { Rng, hash32 } from '../util/rng.ts';

/** A prompt and the reward of a response to it. */
export interface RlProblem {
  /** Prompt token ids (already rendered with the chat template). */
  prompt_P: readonly number[];
  /** Reward of a response, from its token ids (decode them inside if needed). */
  reward(response_T: readonly number[]): number | Promise<number>;
}

export interface RlLoopConfig {
  steps: number;
  /** Prompts per step. */
  promptsPerStep: number;
  /** G: samples per prompt. */
  groupSize: number;
  learningRate: number;
  temperature: number;
  topP: number;
  maxTokens: number;
  stopTokenIds: readonly number[];
  /** PPO clip range [1 − clipLow, 1 + clipHigh] (DAPO clip-higher: 0.2 / 0.28). */
  clipLow: number;
  clipHigh: number;
  seed: number;
}

export interface RlLoopMetrics {
  step: number;
  /** Mean reward over all sampled responses. */
  reward: number;
  /** Groups trained on / groups sampled. */
  groupsKept: number;
  groupsSampled: number;
  responseLength: number;
  loss: number;
}

/** One datum: input = prompt ++ response[..R−2], target = prompt[1..] ++ response, mask 1 on the response. */
function makeDatum(prompt_P: readonly number[], response_R: readonly number[], advantage: number): Datum {
  const tokens = [...prompt_P, ...response_R];
  const T = tokens.length - 1;
  const inputTokens_T = Int32Array.from(tokens.slice(0, T));
  const targetTokens_T = Int32Array.from(tokens.slice(1));
  const mask_T = new Float32Array(T);
  const advantages_T = new Float32Array(T);
  for (let t = prompt_P.length - 1; t < T; t++) {
    mask_T[t] = 1;
    advantages_T[t] = advantage;
  }
  return { inputTokens_T, targetTokens_T, mask_T, extra: { advantages_T } };
}

/** Runs the loop; `onStep` receives each step's metrics. Returns them all. */
export async function rlLoop(
  policy: Policy,
  problems: readonly RlProblem[],
  cfg: RlLoopConfig,
  onStep?: (m: RlLoopMetrics) => void,
): Promise<RlLoopMetrics[]> {
  const rng = new Rng(cfg.seed);
  // On-policy, one update per batch: the PPO ratio is 1, so this is the clipped
  // surrogate's gradient −A·∇logπ, aggregated as DAPO's token mean.
  const lossFn = makePolicyLossFn({ aggMode: 'token-mean', clipLow: cfg.clipLow, clipHigh: cfg.clipHigh });
  const history: RlLoopMetrics[] = [];

  for (let step = 0; step < cfg.steps; step++) {
    // 1. Problems of this step.
    const batch = rng.sample(problems.length, Math.min(cfg.promptsPerStep, problems.length)).map((i) => problems[i] as RlProblem);

    // 2. G samples per prompt, the prompt prefilled once per group.
    const samples_B_G = await policy.sample(batch.map((p) => p.prompt_P), {
      n: cfg.groupSize, temperature: cfg.temperature, topP: cfg.topP, topK: -1,
      maxTokens: cfg.maxTokens, stopTokenIds: cfg.stopTokenIds, seed: hash32(`rl_loop|${cfg.seed}|${step}`),
    });

    // 3-6. Score, filter, advantages, datums.
    const datums: Datum[] = [];
    let rewardSum = 0;
    let lengthSum = 0;
    let kept = 0;
    for (let b = 0; b < batch.length; b++) {
      const problem = batch[b] as RlProblem;
      const group = samples_B_G[b] ?? [];
      const rewards_G: number[] = [];
      for (const s of group) rewards_G.push(await problem.reward(s.tokens));
      rewardSum += rewards_G.reduce((a, r) => a + r, 0);
      lengthSum += group.reduce((a, s) => a + s.tokens.length, 0);
      if (rewards_G.every((r) => r === rewards_G[0])) continue; // no signal in this group
      kept++;
      const { advantages_B: advantages_G } = computeAdvantages('grpo', { rewards_B: rewards_G, groupIds_B: rewards_G.map(() => 0) });
      group.forEach((s, g) => datums.push(makeDatum(problem.prompt_P, s.tokens, advantages_G[g] as number)));
    }

    // 7. One policy-gradient update on the informative groups.
    let loss = 0;
    if (datums.length > 0) {
      const out = await policy.forwardBackward(datums, lossFn, { temperature: cfg.temperature });
      await policy.optimStep({ learningRate: cfg.learningRate, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, gradClipNorm: 1 });
      loss = out.loss;
    }

    const n = batch.length * cfg.groupSize;
    const m: RlLoopMetrics = { step, reward: rewardSum / n, groupsKept: kept, groupsSampled: batch.length, responseLength: lengthSum / n, loss };
    history.push(m);
    onStep?.(m);
  }
  return history;
}
