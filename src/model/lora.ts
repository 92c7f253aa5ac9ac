/**
 * LoRA adapters (Hu et al. 2021, arXiv:2106.09685): W' = W + (alpha/r)·B·A with
 * A [r, in], B [out, r]; only A and B train. Initialisation as PEFT's default: A from
 * kaiming-uniform with a = √5 (uniform in ±1/√in), B zero, so training starts at the base.
 *
 * The adapters live in one flat buffer (grads and AdamW moments alike), and save in PEFT's
 * format: `adapter_config.json` + `adapter_model.safetensors` with names
 * `base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight`, so `PeftModel.from_pretrained`
 * loads them.
 */
import { join } from 'node:path';
import type { Kernels } from '../engine/kernels.ts';
import type { ModelConfig } from './config.ts';
import { readSafetensorsFile, writeSafetensorsFile, type Tensor } from './safetensors.ts';
import { dimsOf, type ModelWeights } from './weights.ts';
import { Rng } from '../util/rng.ts';
import { UserError } from '../util/errors.ts';
import { readJsonFile, writeJsonAtomic } from '../util/fsx.ts';

export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraOptions {
  rank: number;
  alpha: number;
  /** Default: all seven projections. */
  targetModules?: readonly LoraTarget[];
  /** Seed of A's initialisation. */
  seed?: number;
}

export interface LoraPair {
  rank: number;
  /** alpha / rank. */
  scale: number;
  A: Float32Array;
  B: Float32Array;
  gA: Float32Array | null;
  gB: Float32Array | null;
}

/** Seven slots per layer in the order of LORA_TARGETS (null where not targeted). */
export type LoraLayer = (LoraPair | null)[];

interface LoraEntry { layer: number; slot: number; name: string; inDim: number; outDim: number; offsetA: number; offsetB: number }

function modulePath(slot: number): string {
  const t = LORA_TARGETS[slot]!;
  return slot <= 3 ? `self_attn.${t}` : `mlp.${t}`;
}

export class LoraAdapters {
  readonly rank: number;
  readonly alpha: number;
  readonly targets: LoraTarget[];
  readonly data: Float32Array;
  grads: Float32Array | null = null;
  layers: LoraLayer[] = [];
  private readonly entries: LoraEntry[] = [];

  constructor(readonly config: ModelConfig, opts: LoraOptions) {
    if (!Number.isInteger(opts.rank) || opts.rank < 1) throw new UserError(`lora rank must be a positive integer, got ${opts.rank}`);
    this.rank = opts.rank;
    this.alpha = opts.alpha;
    this.targets = [...(opts.targetModules ?? LORA_TARGETS)];
    for (const t of this.targets) if (!LORA_TARGETS.includes(t)) throw new UserError(`lora target module "${t}" is not one of ${LORA_TARGETS.join(', ')}`);
    const d = dimsOf(config);
    const io: [number, number][] = [
      [d.hidden, d.qDim], [d.hidden, d.kvDim], [d.hidden, d.kvDim], [d.qDim, d.hidden],
      [d.hidden, d.inter], [d.hidden, d.inter], [d.inter, d.hidden],
    ];
    let off = 0;
    for (let l = 0; l < d.layers; l++) {
      for (let s = 0; s < 7; s++) {
        if (!this.targets.includes(LORA_TARGETS[s]!)) continue;
        const [inDim, outDim] = io[s]!;
        this.entries.push({ layer: l, slot: s, name: `base_model.model.model.layers.${l}.${modulePath(s)}`, inDim, outDim, offsetA: off, offsetB: off + this.rank * inDim });
        off += this.rank * (inDim + outDim);
      }
    }
    this.data = new Float32Array(off);
    this.rebuildViews();
    const rng = new Rng(opts.seed ?? 0);
    for (const e of this.entries) {
      const bound = 1 / Math.sqrt(e.inDim);
      const A = this.data.subarray(e.offsetA, e.offsetA + this.rank * e.inDim);
      for (let i = 0; i < A.length; i++) A[i] = (2 * rng.float() - 1) * bound;
    }
  }

  get numParams(): number {
    return this.data.length;
  }

  /** Allocates gradient buffers (training). */
  enableGrads(): Float32Array {
    this.grads ??= new Float32Array(this.data.length);
    this.rebuildViews();
    return this.grads;
  }

  private rebuildViews(): void {
    const layers: LoraLayer[] = Array.from({ length: this.config.numLayers }, () => new Array<LoraPair | null>(7).fill(null));
    const r = this.rank;
    for (const e of this.entries) {
      const g = this.grads;
      layers[e.layer]![e.slot] = {
        rank: r, scale: this.alpha / r,
        A: this.data.subarray(e.offsetA, e.offsetA + r * e.inDim),
        B: this.data.subarray(e.offsetB, e.offsetB + e.outDim * r),
        gA: g ? g.subarray(e.offsetA, e.offsetA + r * e.inDim) : null,
        gB: g ? g.subarray(e.offsetB, e.offsetB + e.outDim * r) : null,
      };
    }
    this.layers = layers;
  }

  /** W += (alpha/r)·B·A for every adapter (the merged model equals base + adapters). */
  mergeInto(w: ModelWeights, k: Kernels): void {
    const d = w.dims;
    for (const e of this.entries) {
      const p = w.views.layers[e.layer]!;
      let W: Float32Array;
      switch (e.slot) {
        case 0: W = p.qkvW.subarray(0, d.qDim * d.hidden); break;
        case 1: W = p.qkvW.subarray(d.qDim * d.hidden, (d.qDim + d.kvDim) * d.hidden); break;
        case 2: W = p.qkvW.subarray((d.qDim + d.kvDim) * d.hidden); break;
        case 3: W = p.oW; break;
        case 4: W = p.gateW; break;
        case 5: W = p.upW; break;
        default: W = p.downW;
      }
      const pair = this.layers[e.layer]![e.slot]!;
      k.sgemm(false, false, e.outDim, e.inDim, this.rank, pair.scale, pair.B, this.rank, pair.A, e.inDim, 1, W, e.inDim);
    }
  }

  /** PEFT-named tensors (views, no copy). */
  toPeftTensors(): Map<string, Tensor> {
    const m = new Map<string, Tensor>();
    const r = this.rank;
    for (const e of this.entries) {
      m.set(`${e.name}.lora_A.weight`, { shape: [r, e.inDim], data: this.data.subarray(e.offsetA, e.offsetA + r * e.inDim) });
      m.set(`${e.name}.lora_B.weight`, { shape: [e.outDim, r], data: this.data.subarray(e.offsetB, e.offsetB + e.outDim * r) });
    }
    return m;
  }

  /** PEFT `adapter_config.json`. */
  adapterConfig(baseModel = ''): Record<string, unknown> {
    return {
      peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: baseModel,
      r: this.rank, lora_alpha: this.alpha, lora_dropout: 0, bias: 'none', fan_in_fan_out: false,
      target_modules: this.targets, inference_mode: true, use_rslora: false, init_lora_weights: true,
      modules_to_save: null,
    };
  }

  /** Writes `adapter_config.json` and `adapter_model.safetensors` (F32). */
  savePeft(dir: string, baseModel = ''): void {
    writeSafetensorsFile(join(dir, 'adapter_model.safetensors'), this.toPeftTensors(), 'F32', { format: 'pt' });
    writeJsonAtomic(join(dir, 'adapter_config.json'), this.adapterConfig(baseModel));
  }

  /** Reads a PEFT adapter folder written by savePeft (or PEFT itself, same names). */
  static loadPeft(config: ModelConfig, dir: string): LoraAdapters {
    const cfgPath = join(dir, 'adapter_config.json');
    const ac = readJsonFile<Record<string, unknown>>(cfgPath);
    const rank = Number(ac.r);
    const alpha = Number(ac.lora_alpha);
    const targets = ac.target_modules;
    if (!Array.isArray(targets)) throw new UserError(`${cfgPath}: field "target_modules" must be a list`);
    const a = new LoraAdapters(config, { rank, alpha, targetModules: targets as LoraTarget[] });
    const tensors = readSafetensorsFile(join(dir, 'adapter_model.safetensors'));
    for (const [name, t] of a.toPeftTensors()) {
      // PEFT may save with or without the ".default" adapter name.
      const src = tensors.get(name) ?? tensors.get(name.replace(/\.weight$/, '.default.weight'));
      if (!src) throw new UserError(`${join(dir, 'adapter_model.safetensors')}: tensor "${name}" is missing`);
      if (src.data.length !== t.data.length) throw new UserError(`${dir}: tensor "${name}" has ${src.data.length} values, expected ${t.data.length}`);
      t.data.set(src.data);
    }
    return a;
  }
}
