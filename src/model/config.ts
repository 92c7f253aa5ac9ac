/**
 * Hugging Face `config.json` for Qwen2 / Qwen3 dense models: parsing into a typed
 * `ModelConfig` and writing back.
 *
 * Field names and defaults follow transformers' `Qwen2Config` / `Qwen3Config`
 * (contracts §3, ecosystem §3): `num_key_value_heads` defaults to the head count,
 * `head_dim` to hidden_size / num_attention_heads, the dtype key is `torch_dtype`
 * (newer files: `dtype`), `eos_token_id` may be an int or a list, and `rope_scaling`
 * names its kind with `rope_type` (older files: `type`). Newer transformers put
 * `rope_theta` and the scaling inside `rope_parameters`; that form is read too.
 */
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { UserError } from '../util/errors.ts';
import { readJsonFile } from '../util/fsx.ts';

export interface RopeScaling {
  type: 'yarn' | 'linear' | 'dynamic' | 'llama3' | 'default';
  factor: number;
  originalMaxPositionEmbeddings?: number;
  betaFast?: number;
  betaSlow?: number;
  attentionFactor?: number;
  mscale?: number;
  mscaleAllDim?: number;
  lowFreqFactor?: number;
  highFreqFactor?: number;
}

export interface ModelConfig {
  modelType: 'qwen2' | 'qwen3';
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  rmsNormEps: number;
  ropeTheta: number;
  ropeScaling: RopeScaling | null;
  maxPositionEmbeddings: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projection biases: always true for qwen2, `attention_bias` (default false) for qwen3. */
  attentionBias: boolean;
  /** Per-head RMSNorm of q and k before RoPE (qwen3). */
  qkNorm: boolean;
  bosTokenId: number | null;
  eosTokenIds: number[];
  torchDtype: string;
  /** The whole config.json, kept for writing back. */
  raw: Record<string, unknown>;
}

const ROPE_TYPES = ['yarn', 'linear', 'dynamic', 'llama3', 'default'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads typed fields from one JSON object, with errors naming the source and field. */
class FieldReader {
  constructor(
    private readonly obj: Record<string, unknown>,
    private readonly source: string,
    private readonly prefix = '',
  ) {}

  private fail(key: string, want: string): never {
    const v = this.obj[key];
    throw new UserError(`${this.source}: field "${this.prefix}${key}" must be ${want}, got ${JSON.stringify(v)}`);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  int(key: string, def?: number, min = 1): number {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (def === undefined) throw new UserError(`${this.source}: required field "${this.prefix}${key}" is missing`);
      return def;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) this.fail(key, `an integer >= ${min}`);
    return v;
  }

  num(key: string, def?: number, positive = true): number {
    const v = this.obj[key];
    if (v === undefined || v === null) {
      if (def === undefined) throw new UserError(`${this.source}: required field "${this.prefix}${key}" is missing`);
      return def;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) {
      this.fail(key, positive ? 'a positive number' : 'a finite number');
    }
    return v;
  }

  optNum(key: string): number | undefined {
    return this.has(key) ? this.num(key, undefined, false) : undefined;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  str(key: string, def: string): string {
    const v = this.obj[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }
}

function parseRopeScaling(v: unknown, source: string, field: string): RopeScaling | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw new UserError(`${source}: field "${field}" must be an object or null, got ${JSON.stringify(v)}`);
  const r = new FieldReader(v, source, `${field}.`);
  const kind = v['rope_type'] ?? v['type'];
  if (kind === undefined) throw new UserError(`${source}: field "${field}" needs "rope_type" (or "type")`);
  if (typeof kind !== 'string' || !(ROPE_TYPES as readonly string[]).includes(kind)) {
    throw new UserError(
      `${source}: field "${field}.rope_type" is ${JSON.stringify(kind)}; supported: ${ROPE_TYPES.join(', ')}`,
    );
  }
  const type = kind as RopeScaling['type'];
  const out: RopeScaling = { type, factor: r.num('factor', type === 'default' ? 1 : undefined) };
  const opt: [keyof RopeScaling, string][] = [
    ['originalMaxPositionEmbeddings', 'original_max_position_embeddings'],
    ['betaFast', 'beta_fast'],
    ['betaSlow', 'beta_slow'],
    ['attentionFactor', 'attention_factor'],
    ['mscale', 'mscale'],
    ['mscaleAllDim', 'mscale_all_dim'],
    ['lowFreqFactor', 'low_freq_factor'],
    ['highFreqFactor', 'high_freq_factor'],
  ];
  for (const [k, hf] of opt) {
    const x = r.optNum(hf);
    if (x !== undefined) (out as unknown as Record<string, number>)[k] = x;
  }
  return out;
}

/**
 * Parses a Hugging Face `config.json` object. `source` names the file in errors.
 * Unknown keys are kept in `raw` (Hugging Face configs carry many).
 */
export function parseModelConfig(json: unknown, source: string): ModelConfig {
  if (!isObject(json)) throw new UserError(`${source}: a model config must be a JSON object`);
  const r = new FieldReader(json, source);
  const modelType = json['model_type'];
  if (modelType !== 'qwen2' && modelType !== 'qwen3') {
    throw new UserError(
      `${source}: field "model_type" is ${JSON.stringify(modelType)}; supported: "qwen2", "qwen3"`,
    );
  }
  const hiddenSize = r.int('hidden_size');
  const numHeads = r.int('num_attention_heads');
  const numKvHeads = r.int('num_key_value_heads', numHeads);
  if (numHeads % numKvHeads !== 0) {
    throw new UserError(
      `${source}: field "num_attention_heads" (${numHeads}) must be a multiple of "num_key_value_heads" (${numKvHeads})`,
    );
  }
  let defaultHeadDim: number | undefined;
  if (hiddenSize % numHeads === 0) defaultHeadDim = hiddenSize / numHeads;
  const headDim = r.int('head_dim', defaultHeadDim);
  if (headDim % 2 !== 0) throw new UserError(`${source}: field "head_dim" must be even for RoPE, got ${headDim}`);

  // rope_theta / rope_scaling, or transformers v5's rope_parameters.
  const ropeParams = json['rope_parameters'];
  let ropeTheta = r.num('rope_theta', 10000);
  let ropeScaling = parseRopeScaling(json['rope_scaling'], source, 'rope_scaling');
  if (isObject(ropeParams) && !r.has('rope_scaling')) {
    const pr = new FieldReader(ropeParams, source, 'rope_parameters.');
    if (!r.has('rope_theta')) ropeTheta = pr.num('rope_theta', 10000);
    const kind = ropeParams['rope_type'] ?? ropeParams['type'];
    if (kind !== undefined && kind !== 'default') ropeScaling = parseRopeScaling(ropeParams, source, 'rope_parameters');
  }

  let eosTokenIds: number[] = [];
  const eos = json['eos_token_id'];
  if (typeof eos === 'number' && Number.isInteger(eos) && eos >= 0) eosTokenIds = [eos];
  else if (Array.isArray(eos) && eos.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) {
    eosTokenIds = eos as number[];
  } else if (eos !== undefined && eos !== null) {
    throw new UserError(`${source}: field "eos_token_id" must be an integer or a list of integers, got ${JSON.stringify(eos)}`);
  }
  const bos = json['bos_token_id'];
  if (bos !== undefined && bos !== null && (typeof bos !== 'number' || !Number.isInteger(bos) || bos < 0)) {
    throw new UserError(`${source}: field "bos_token_id" must be an integer or null, got ${JSON.stringify(bos)}`);
  }

  const isQwen3 = modelType === 'qwen3';
  return {
    modelType,
    hiddenSize,
    intermediateSize: r.int('intermediate_size'),
    numLayers: r.int('num_hidden_layers'),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: r.int('vocab_size'),
    rmsNormEps: r.num('rms_norm_eps', 1e-6),
    ropeTheta,
    ropeScaling,
    maxPositionEmbeddings: r.int('max_position_embeddings', 32768),
    // transformers' PretrainedConfig default is true; Qwen2Config/Qwen3Config pass false.
    tieWordEmbeddings: r.bool('tie_word_embeddings', false),
    attentionBias: isQwen3 ? r.bool('attention_bias', false) : true,
    qkNorm: isQwen3,
    bosTokenId: typeof bos === 'number' ? bos : null,
    eosTokenIds,
    torchDtype: r.str('torch_dtype', r.str('dtype', 'float32')),
    raw: { ...json },
  };
}

function ropeScalingToHF(rs: RopeScaling): Record<string, unknown> {
  const out: Record<string, unknown> = { rope_type: rs.type, type: rs.type, factor: rs.factor };
  if (rs.originalMaxPositionEmbeddings !== undefined) out['original_max_position_embeddings'] = rs.originalMaxPositionEmbeddings;
  if (rs.betaFast !== undefined) out['beta_fast'] = rs.betaFast;
  if (rs.betaSlow !== undefined) out['beta_slow'] = rs.betaSlow;
  if (rs.attentionFactor !== undefined) out['attention_factor'] = rs.attentionFactor;
  if (rs.mscale !== undefined) out['mscale'] = rs.mscale;
  if (rs.mscaleAllDim !== undefined) out['mscale_all_dim'] = rs.mscaleAllDim;
  if (rs.lowFreqFactor !== undefined) out['low_freq_factor'] = rs.lowFreqFactor;
  if (rs.highFreqFactor !== undefined) out['high_freq_factor'] = rs.highFreqFactor;
  return out;
}

/**
 * The `config.json` object for `cfg`: `raw` with the typed fields written over it, so
 * keys longrl does not model (sliding_window, use_cache, ...) survive a round trip.
 */
export function modelConfigToHF(cfg: ModelConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...cfg.raw };
  out['architectures'] = [cfg.modelType === 'qwen3' ? 'Qwen3ForCausalLM' : 'Qwen2ForCausalLM'];
  out['model_type'] = cfg.modelType;
  out['hidden_size'] = cfg.hiddenSize;
  out['intermediate_size'] = cfg.intermediateSize;
  out['num_hidden_layers'] = cfg.numLayers;
  out['num_attention_heads'] = cfg.numHeads;
  out['num_key_value_heads'] = cfg.numKvHeads;
  if (cfg.modelType === 'qwen3' || 'head_dim' in cfg.raw || cfg.headDim * cfg.numHeads !== cfg.hiddenSize) {
    out['head_dim'] = cfg.headDim;
  }
  out['vocab_size'] = cfg.vocabSize;
  out['rms_norm_eps'] = cfg.rmsNormEps;
  out['max_position_embeddings'] = cfg.maxPositionEmbeddings;
  out['tie_word_embeddings'] = cfg.tieWordEmbeddings;
  out['hidden_act'] = out['hidden_act'] ?? 'silu';
  if (cfg.modelType === 'qwen3') out['attention_bias'] = cfg.attentionBias;
  if (cfg.bosTokenId !== null) out['bos_token_id'] = cfg.bosTokenId;
  if (cfg.eosTokenIds.length === 1) out['eos_token_id'] = cfg.eosTokenIds[0];
  else if (cfg.eosTokenIds.length > 1) out['eos_token_id'] = [...cfg.eosTokenIds];
  out['torch_dtype'] = cfg.torchDtype;
  if ('dtype' in cfg.raw) out['dtype'] = cfg.torchDtype;
  if (isObject(cfg.raw['rope_parameters'])) {
    const rp: Record<string, unknown> = cfg.ropeScaling ? ropeScalingToHF(cfg.ropeScaling) : { rope_type: 'default' };
    delete rp['type'];
    rp['rope_theta'] = cfg.ropeTheta;
    out['rope_parameters'] = rp;
    if ('rope_theta' in cfg.raw) out['rope_theta'] = cfg.ropeTheta;
  } else {
    out['rope_theta'] = cfg.ropeTheta;
    out['rope_scaling'] = cfg.ropeScaling ? ropeScalingToHF(cfg.ropeScaling) : null;
  }
  return out;
}

/** Reads and parses `<dir>/config.json`. */
export function readModelConfig(dir: string): ModelConfig {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new UserError(`${dir} is not a model folder: ${path} is missing`);
  return parseModelConfig(readJsonFile(path), path);
}
