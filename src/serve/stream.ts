/**
 * The serve engine loop: the engine's own decode loop (`sampleSteps` in
 * src/model/generate.ts, the one `generate` runs) driven asynchronously:
 * - every prompt brings its own seed and label: sample j of a prompt draws from
 *   Rng.derive(seed, "sample/label/j"), so a request batched with others gets exactly the
 *   samples it would get alone (and exactly what `LocalPolicy.sample` gives it);
 * - it yields to the event loop between steps and can report each step's tokens, so
 *   streams send chunks as tokens are decoded and the server keeps answering meanwhile.
 * Top alternatives (`logprobs`) come from each step's logits.
 */
import type { SampleParams, SampledSequence, FinishReason } from '../policy/types.ts';
import { sampleSteps } from '../model/generate.ts';
import type { QwenModel } from '../model/qwen.ts';
import { topK, type TokenAlt } from './model.ts';

/** One prompt of a call. */
export interface PromptJob {
  ids: readonly number[];
  seed: number;
  /** The prompt's position in its own request (the random-stream label). */
  label: number;
  /** Top alternatives to record per token (0: none). */
  topLogprobs: number;
}

export interface StepEvent {
  /** Index of the prompt in the call. */
  prompt: number;
  /** Sample index (0..n-1). */
  sample: number;
  token: number;
  logprob: number;
  alts: TokenAlt[] | null;
  finish: FinishReason | null;
}

export interface LoopOptions {
  /** Token ids → text, for stop strings (as LocalPolicy: special tokens kept). */
  decode?: (ids: readonly number[]) => string;
  /** Most rows decoded together (default 64; whole prompts per wave, at least one). */
  maxRows?: number;
  onStep?: (events: StepEvent[]) => void;
  /** Stop early (the client is gone). */
  aborted?: () => boolean;
}

export interface LoopResult {
  seqs: SampledSequence[];
  /** Top alternatives per sample and token (null when the prompt asked for none). */
  alts: (TokenAlt[][] | null)[];
}

const tick = () => new Promise<void>((r) => setImmediate(r));

export async function decodeLoop(model: QwenModel, prompts: readonly PromptJob[], params: Omit<SampleParams, 'seed'>, opts: LoopOptions = {}): Promise<LoopResult[]> {
  const inv = params.temperature > 0 ? 1 / params.temperature : 1;
  const alts_P: (TokenAlt[][] | null)[][] = prompts.map(() => []);
  let events: StepEvent[] = [];
  const steps = sampleSteps(model, prompts, params, {
    decode: opts.decode,
    maxBatchRows: opts.maxRows,
    aborted: opts.aborted,
    onToken: (ev) => {
      const k = prompts[ev.prompt]!.topLogprobs;
      const perSample = alts_P[ev.prompt]!;
      if (perSample.length <= ev.sample) perSample.push(k > 0 ? [] : null);
      const alts = k > 0 ? topK(ev.logits, k, inv) : null;
      if (alts) perSample[ev.sample]!.push(alts);
      events.push({ prompt: ev.prompt, sample: ev.sample, token: ev.token, logprob: ev.logprob, alts, finish: ev.finish });
    },
  });
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value.map((seqs, pi) => ({ seqs, alts: alts_P[pi]! }));
    opts.onStep?.(events);
    events = [];
    await tick();
  }
}
