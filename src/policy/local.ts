/**
 * `LocalPolicy`: the `Policy` seam (src/policy/types.ts) over the in-process Qwen engine
 * (src/model/): sampling with a shared-prefill KV cache, log-probabilities, training through
 * `forwardBackward(datums, lossFn)` with gradients that accumulate until `optimStep`
 * (AdamW + global-norm clipping), full fine-tuning or LoRA, and exact save/load of the
 * training state.
 *
 * Masked rows: positions whose mask is 0 get no logits (log-probability and entropy 0 are
 * passed to the loss there), so long prompts cost no LM-head work.
 *
 * Checkpoint folder (`save`): an HF model folder (config.json, model.safetensors F32, the
 * source's tokenizer files) — or, with LoRA, the base folder's config plus `adapter/` in
 * PEFT format — and `optimizer.safetensors` (AdamW moments `m`, `v` and the pending
 * accumulated gradient `grad`, F32) plus `trainer_state.json` (step, LoRA settings).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type {
  AdamParams, Datum, ForwardBackwardOutput, ForwardOutput, LossFn, OptimStepOutput, Policy, SampleParams, SampledSequence,
} from './types.ts';
import { getKernels } from '../engine/index.ts';
import type { Kernels } from '../engine/kernels.ts';
import { modelConfigToHF, readModelConfig, type ModelConfig } from '../model/config.ts';
import { readModelWeights, readSafetensorsFile, writeModelWeights, writeSafetensorsFile, type StDtype, type Tensor } from '../model/safetensors.ts';
import { copyAuxFiles, defaultGenerationConfig } from '../model/folder.ts';
import { ModelWeights } from '../model/weights.ts';
import { QwenModel, type SeqTape } from '../model/qwen.ts';
import { joinRows, packDatums, splitRows } from './pack.ts';
import { LoraAdapters, type LoraOptions } from '../model/lora.ts';
import { AdamW } from '../model/optim.ts';
import { Decoder, generate } from '../model/generate.ts';
import { loadTokenizer, type TextTokenizer } from '../tokenizer/index.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFile, writeJsonAtomic } from '../util/fsx.ts';

export interface LocalPolicyOptions {
  /** Train LoRA adapters instead of all weights. */
  lora?: LoraOptions | null;
  /** Kernel worker threads (native backend). */
  threads?: number;
  /**
   * Bytes of activations kept from forward to backward within one forwardBackward call
   * (default 512 MiB): each datum's layer inputs first, then full layer activations and
   * logits while they fit (each skips a recompute); beyond it the forward is recomputed.
   */
  tapeBudgetBytes?: number;
  /** Most sample rows decoded together (default 64). */
  maxBatchRows?: number;
  /**
   * Rows per training or scoring pass: consecutive datums shorter than this run packed as
   * one sequence (src/policy/pack.ts; default 2048, 0 = one datum per pass).
   */
  packRows?: number;
  /** Token ids → text, for stop strings (default: the folder's tokenizer when present). */
  decode?: (ids: readonly number[]) => string;
  /** A PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors) to load; its rank/alpha/targets replace `lora`. */
  adapterDir?: string;
}

const STATE_FILE = 'trainer_state.json';
const OPTIM_FILE = 'optimizer.safetensors';

export class LocalPolicy implements Policy {
  readonly model: QwenModel;
  readonly k: Kernels;
  private optim: AdamW | null = null;
  private tokenizer: TextTokenizer | null | undefined;
  /** Decode buffers kept between sample() calls. */
  private decoder: Decoder | null = null;

  constructor(readonly weights: ModelWeights, readonly opts: LocalPolicyOptions & { sourceDir?: string } = {}) {
    this.k = getKernels();
    if (opts.threads !== undefined) this.k.setThreads(opts.threads);
    const lora = opts.adapterDir
      ? LoraAdapters.loadPeft(weights.config, opts.adapterDir)
      : opts.lora ? new LoraAdapters(weights.config, opts.lora) : null;
    this.model = new QwenModel(weights, lora, this.k);
  }

  /** Loads an HF model folder (config.json + safetensors; tokenizer used for stop strings when present). */
  static fromFolder(dir: string, opts: LocalPolicyOptions = {}): LocalPolicy {
    const cfg = readModelConfig(dir);
    const w = ModelWeights.fromTensors(cfg, readModelWeights(dir), dir);
    return new LocalPolicy(w, { ...opts, sourceDir: dir });
  }

  get config(): ModelConfig {
    return this.weights.config;
  }

  get step(): number {
    return this.optim?.step ?? 0;
  }

  /** The trainable flat buffers: LoRA adapters, or all base weights. */
  private trainable(): { params: Float32Array; grads: Float32Array } {
    const lora = this.model.lora;
    if (lora) return { params: lora.data, grads: lora.enableGrads() };
    this.model.enableGrads();
    return { params: this.weights.data, grads: this.model.grads! };
  }

  private decodeFn(): ((ids: readonly number[]) => string) | undefined {
    if (this.opts.decode) return this.opts.decode;
    if (this.tokenizer === undefined) {
      const dir = this.opts.sourceDir;
      this.tokenizer = dir && existsSync(join(dir, 'tokenizer.json')) ? loadTokenizer(dir) : null;
    }
    const tok = this.tokenizer;
    return tok ? (ids) => tok.decode(ids) : undefined;
  }

  async sample(prompts: readonly (readonly number[])[], params: SampleParams): Promise<SampledSequence[][]> {
    const decode = this.decodeFn();
    const maxRows = Math.max(params.n, this.opts.maxBatchRows ?? 64);
    const lora = this.model.lora ? this.model.lora.rank : 0;
    if (!this.decoder || this.decoder.maxRows < maxRows || this.decoder.loraRank !== lora) this.decoder = new Decoder(this.model, maxRows);
    return generate(this.model, prompts, params, { decoder: this.decoder, ...(decode ? { decode } : {}), ...(this.opts.maxBatchRows ? { maxBatchRows: this.opts.maxBatchRows } : {}) });
  }

  /** Rows per packed pass (LocalPolicyOptions.packRows). */
  private get packRowLimit(): number {
    return this.opts.packRows ?? 2048;
  }

  private checkDatum(d: Datum, i: number): void {
    const T = d.inputTokens_T.length;
    if (T === 0) throw new UserError(`datum ${i}: inputTokens_T is empty`);
    if (d.targetTokens_T.length !== T || d.mask_T.length !== T) {
      throw new UserError(`datum ${i}: inputTokens_T (${T}), targetTokens_T (${d.targetTokens_T.length}) and mask_T (${d.mask_T.length}) must have equal lengths`);
    }
    const V = this.config.vocabSize;
    for (let t = 0; t < T; t++) {
      const a = d.inputTokens_T[t]!;
      const b = d.targetTokens_T[t]!;
      if (a < 0 || a >= V) throw new UserError(`datum ${i}: input token ${a} at position ${t} is outside the vocabulary [0, ${V})`);
      if (b >= V || (b < 0 && d.mask_T[t] !== 0)) throw new UserError(`datum ${i}: target token ${b} at position ${t} is outside the vocabulary [0, ${V})`);
    }
  }

  async forward(datums: readonly Datum[], opts: { entropy?: boolean; temperature?: number } = {}): Promise<ForwardOutput> {
    const invTemp = 1 / (opts.temperature ?? 1);
    const logprobs: Float32Array[] = [];
    const entropy: Float32Array[] | null = opts.entropy ? [] : null;
    datums.forEach((d, i) => this.checkDatum(d, i));
    for (const pack of packDatums(datums, this.packRowLimit)) {
      const r = this.model.forwardSequence(pack.inputTokens_T, pack.targetTokens_T, pack.mask_T, {
        invTemp, entropy: !!opts.entropy, ...(pack.segments ? { segments: pack.segments } : {}),
      });
      logprobs.push(...splitRows(pack, r.logprobs));
      if (entropy) entropy.push(...splitRows(pack, r.entropy!));
    }
    return { logprobs, entropy };
  }

  async forwardBackward(datums: readonly Datum[], lossFn: LossFn, opts: { temperature?: number } = {}): Promise<ForwardBackwardOutput> {
    const temperature = opts.temperature ?? 1;
    if (!(temperature > 0)) throw new UserError(`forwardBackward temperature must be > 0, got ${temperature}`);
    const invTemp = 1 / temperature;
    this.trainable();
    const needsEntropy = !!lossFn.needsEntropy;
    const d = this.weights.dims;
    let budget = this.opts.tapeBudgetBytes ?? 512 * 2 ** 20;
    const tapes: SeqTape[] = [];
    const logprobs: Float32Array[] = [];
    const entropy: Float32Array[] | null = needsEntropy ? [] : null;
    datums.forEach((datum, i) => this.checkDatum(datum, i));
    const packs = packDatums(datums, this.packRowLimit);
    for (const pack of packs) {
      const bytes = (d.layers + 1) * pack.inputTokens_T.length * d.hidden * 4;
      const keep = bytes <= budget;
      const r = this.model.forwardSequence(pack.inputTokens_T, pack.targetTokens_T, pack.mask_T, {
        invTemp, entropy: needsEntropy, keepTape: keep, extraBudgetBytes: keep ? budget - bytes : 0,
        ...(pack.segments ? { segments: pack.segments } : {}),
      });
      budget -= r.tape.bytes;
      tapes.push(r.tape);
      logprobs.push(...splitRows(pack, r.logprobs));
      if (entropy) entropy.push(...splitRows(pack, r.entropy!));
    }
    const out = lossFn({ datums, logprobs, entropy });
    if (out.dLogprobs.length !== datums.length) throw new Error(`loss returned ${out.dLogprobs.length} gradients for ${datums.length} datums`);
    datums.forEach((datum, i) => {
      const g = out.dLogprobs[i]!;
      if (g.length !== datum.inputTokens_T.length) throw new Error(`loss gradient ${i} has length ${g.length}, datum has ${datum.inputTokens_T.length}`);
    });
    packs.forEach((pack, p) => {
      const dEntropy = out.dEntropy ? joinRows(pack, out.dEntropy) : null;
      this.model.backwardSequence(tapes[p]!, joinRows(pack, out.dLogprobs), dEntropy);
    });
    return { logprobs, entropy, loss: out.loss, metrics: out.metrics };
  }

  async optimStep(params: AdamParams): Promise<OptimStepOutput> {
    const { params: p, grads } = this.trainable();
    this.optim ??= new AdamW(p.length);
    return this.optim.apply(this.k, p, grads, params);
  }

  private copyAux(dir: string): void {
    const src = this.opts.sourceDir;
    if (src && resolve(src) !== resolve(dir)) copyAuxFiles(src, dir);
  }

  /** Full training state to `dir` (see the module doc); exact round trip with `load`. */
  async save(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const lora = this.model.lora;
    writeJsonAtomic(join(dir, 'config.json'), modelConfigToHF(this.config));
    this.copyAux(dir);
    if (lora) {
      mkdirSync(join(dir, 'adapter'), { recursive: true });
      lora.savePeft(join(dir, 'adapter'));
    }
    // The base weights are saved with LoRA too, so the folder is self-contained.
    writeModelWeights(dir, this.weights.toTensors(), { dtype: 'F32' });
    const { grads } = this.trainable();
    const n = grads.length;
    const optim = this.optim ?? new AdamW(n);
    const t = new Map<string, Tensor>([
      ['m', { shape: [n], data: optim.m }],
      ['v', { shape: [n], data: optim.v }],
      ['grad', { shape: [n], data: grads }],
    ]);
    writeSafetensorsFile(join(dir, OPTIM_FILE), t, 'F32');
    writeJsonAtomic(join(dir, STATE_FILE), {
      format: 'longrl-local-policy/1', step: optim.step,
      lora: lora ? { rank: lora.rank, alpha: lora.alpha, targetModules: lora.targets } : null,
    });
  }

  /** Restores a state written by `save` (same model shape; LoRA settings must match). */
  async load(dir: string): Promise<void> {
    const state = readJsonFile<{ step: number; lora: { rank: number; alpha: number } | null }>(join(dir, STATE_FILE));
    const cfg = readModelConfig(dir);
    const want = this.config;
    for (const key of ['hiddenSize', 'numLayers', 'numHeads', 'numKvHeads', 'headDim', 'vocabSize', 'intermediateSize', 'tieWordEmbeddings'] as const) {
      if (cfg[key] !== want[key]) throw new UserError(`${join(dir, 'config.json')}: ${key} is ${cfg[key]}, this policy has ${want[key]}`);
    }
    const loaded = ModelWeights.fromTensors(want, readModelWeights(dir), dir);
    this.weights.data.set(loaded.data);
    const lora = this.model.lora;
    if (!!state.lora !== !!lora) throw new UserError(`${dir}: checkpoint ${state.lora ? 'has' : 'has no'} LoRA adapters, this policy ${lora ? 'has' : 'has none'}`);
    if (lora) {
      const a = LoraAdapters.loadPeft(want, join(dir, 'adapter'));
      if (a.data.length !== lora.data.length) throw new UserError(`${dir}/adapter: adapter layout differs from this policy's LoRA settings`);
      lora.data.set(a.data);
    }
    const { grads } = this.trainable();
    const t = readSafetensorsFile(join(dir, OPTIM_FILE));
    const get = (name: string) => {
      const x = t.get(name);
      if (!x || x.data.length !== grads.length) throw new UserError(`${join(dir, OPTIM_FILE)}: tensor "${name}" missing or of the wrong size`);
      return x.data;
    };
    this.optim = new AdamW(grads.length);
    this.optim.m.set(get('m'));
    this.optim.v.set(get('v'));
    grads.set(get('grad'));
    this.optim.step = state.step;
  }

  /**
   * Restricts the softmax of forward / forwardBackward to `allowed` token ids (null: the
   * full vocabulary). Sampling is not affected. See QwenModel.setSoftmaxVocabulary.
   */
  setSoftmaxVocabulary(allowed: Iterable<number> | null): void {
    this.model.setSoftmaxVocabulary(allowed);
  }

  /**
   * Merges the LoRA adapters into the base weights (W += alpha/r·B·A) and drops them: the
   * policy then trains all weights. The optimizer state of the adapters is discarded.
   */
  mergeAdapters(): void {
    const lora = this.model.lora;
    if (!lora) return;
    lora.mergeInto(this.weights, this.k);
    this.model.lora = null;
    this.optim = null;
  }

  /** HF model folder: config, safetensors (LoRA merged into a copy of the base), tokenizer files. */
  async exportHF(dir: string, opts: { dtype?: StDtype } = {}): Promise<void> {
    mkdirSync(dir, { recursive: true });
    let w = this.weights;
    if (this.model.lora) {
      w = new ModelWeights(this.config, this.weights.data.slice());
      this.model.lora.mergeInto(w, this.k);
    }
    const dtype = opts.dtype ?? 'F32';
    const torchDtype = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' }[dtype];
    writeModelWeights(dir, w.toTensors(), { dtype });
    writeJsonAtomic(join(dir, 'config.json'), modelConfigToHF({ ...this.config, torchDtype }));
    this.copyAux(dir);
    if (!existsSync(join(dir, 'generation_config.json'))) writeJsonAtomic(join(dir, 'generation_config.json'), defaultGenerationConfig(this.config));
  }
}
