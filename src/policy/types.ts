/**
 * The one seam between algorithms and engines (ARCHITECTURE.md): a `Policy` samples
 * token ids with their log-probabilities, and trains through `forwardBackward(datums,
 * lossFn)` where the loss is a pure function of per-token log-probabilities. The local
 * engine and remote services (Tinker API, ...) implement the same interface.
 *
 * Token convention (as the Tinker API): a datum holds `inputTokens_T` and
 * `targetTokens_T` of equal length T; position t of the input predicts target t.
 * For a prompt p_0..p_{P-1} and a response y_0..y_{R-1}: input = p ++ y[0..R-2],
 * target = p[1..] ++ y, mask = 0 on the first P-1 positions, 1 on the R response ones.
 */

export interface SampleParams {
  /** Samples per prompt (they share the prompt's prefill). */
  n: number;
  temperature: number;
  /** Nucleus mass; 1 disables. */
  topP: number;
  /** Keep the k most likely tokens; -1 or 0 disables. */
  topK: number;
  maxTokens: number;
  /** Token ids that end a sequence (included in the output). */
  stopTokenIds?: readonly number[];
  /** Strings that end a sequence when the decoded text contains them. */
  stopStrings?: readonly string[];
  seed: number;
}

export type FinishReason = 'stop' | 'length';

export interface SampledSequence {
  /** Generated token ids (prompt excluded). */
  tokens: number[];
  /** log p(token) under the sampling distribution (after temperature, before top-p/top-k truncation), one per token. */
  logprobs: number[];
  finishReason: FinishReason;
}

/** One training example in per-token arrays (see the token convention above). */
export interface Datum {
  inputTokens_T: Int32Array;
  targetTokens_T: Int32Array;
  /** 1 where the target is trained on, 0 elsewhere (also a per-token weight for SFT). */
  mask_T: Float32Array;
  /** Whatever else the loss needs per token: `oldLogprobs_T`, `advantages_T`, `samplerLogprobs_T`, `refLogprobs_T`, ... */
  extra?: Record<string, Float32Array>;
}

export interface LossInputs {
  datums: readonly Datum[];
  /** log p(target_t | input_0..t) under the current weights, per datum. */
  logprobs: readonly Float32Array[];
  /** Entropy of the next-token distribution per position, when the loss asked for it. */
  entropy: readonly Float32Array[] | null;
}

export interface LossOutput {
  loss: number;
  /** dLoss/dlogprob per datum and token. */
  dLogprobs: Float32Array[];
  /** dLoss/dentropy per datum and token (entropy bonus), or null. */
  dEntropy: Float32Array[] | null;
  metrics: Record<string, number>;
}

/** A pure loss over per-token log-probabilities. */
export interface LossFn {
  (inputs: LossInputs): LossOutput;
  /** Set when the loss reads `entropy`. */
  needsEntropy?: boolean;
}

export interface ForwardOutput {
  logprobs: Float32Array[];
  entropy: Float32Array[] | null;
}

export interface ForwardBackwardOutput extends ForwardOutput {
  loss: number;
  metrics: Record<string, number>;
}

export interface AdamParams {
  learningRate: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global-norm clip; 0 disables. */
  gradClipNorm: number;
}

export interface OptimStepOutput {
  /** Global gradient norm before clipping. */
  gradNorm: number;
  step: number;
}

export interface Policy {
  sample(prompts: readonly (readonly number[])[], params: SampleParams): Promise<SampledSequence[][]>;
  /** Log-probabilities (and entropy) without gradients, e.g. old or reference log-probs. */
  forward(datums: readonly Datum[], opts?: { entropy?: boolean; temperature?: number }): Promise<ForwardOutput>;
  /** Gradients accumulate across calls until optimStep. */
  forwardBackward(datums: readonly Datum[], lossFn: LossFn, opts?: { temperature?: number }): Promise<ForwardBackwardOutput>;
  optimStep(params: AdamParams): Promise<OptimStepOutput>;
  /** Full training state (weights, optimizer) to a folder. */
  save(dir: string): Promise<void>;
  load(dir: string): Promise<void>;
  /** Hugging Face model folder (config, safetensors, tokenizer). */
  exportHF(dir: string): Promise<void>;
}
