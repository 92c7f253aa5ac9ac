/**
 * Model folders in Hugging Face's layout (contracts §3): `config.json`,
 * `model.safetensors` (or shards + index), `tokenizer.json`, `tokenizer_config.json`,
 * `generation_config.json`. A folder without tokenizer files is still valid.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../util/fsx.ts';
import { modelConfigToHF, readModelConfig, type ModelConfig } from './config.ts';
import { readModelWeights, writeModelWeights, type StDtype, type Tensor } from './safetensors.ts';

export interface ModelFolder {
  config: ModelConfig;
  weights: Map<string, Tensor>;
  tokenizerJson?: Record<string, unknown>;
  tokenizerConfig?: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
}

export interface WriteModelFolderOptions extends ModelFolder {
  /** Weight dtype on disk (default F32); config.json's torch_dtype follows it. */
  dtype?: StDtype;
  maxShardBytes?: number;
}

const TORCH_DTYPE: Record<StDtype, string> = { F32: 'float32', BF16: 'bfloat16', F16: 'float16' };

/** transformers' `GenerationConfig.from_model_config`: the config's bos/eos ids. */
export function defaultGenerationConfig(cfg: ModelConfig): Record<string, unknown> {
  const g: Record<string, unknown> = {};
  if (cfg.bosTokenId !== null) g['bos_token_id'] = cfg.bosTokenId;
  if (cfg.eosTokenIds.length === 1) g['eos_token_id'] = cfg.eosTokenIds[0];
  else if (cfg.eosTokenIds.length > 1) g['eos_token_id'] = cfg.eosTokenIds;
  return g;
}

/** Writes a model folder (each file atomically); stale weight files of an earlier save are removed. */
export function writeModelFolder(dir: string, m: WriteModelFolderOptions): void {
  mkdirSync(dir, { recursive: true });
  const dtype = m.dtype ?? 'F32';
  const config: ModelConfig = { ...m.config, torchDtype: TORCH_DTYPE[dtype] };
  writeModelWeights(dir, m.weights, { dtype, ...(m.maxShardBytes !== undefined ? { maxShardBytes: m.maxShardBytes } : {}) });
  writeJsonAtomic(join(dir, 'config.json'), modelConfigToHF(config));
  writeJsonAtomic(join(dir, 'generation_config.json'), m.generationConfig ?? defaultGenerationConfig(config));
  if (m.tokenizerJson) writeJsonAtomic(join(dir, 'tokenizer.json'), m.tokenizerJson);
  if (m.tokenizerConfig) writeJsonAtomic(join(dir, 'tokenizer_config.json'), m.tokenizerConfig);
}

/** Reads a model folder: config and weights (required), tokenizer and generation config when present. */
export function readModelFolder(dir: string): ModelFolder {
  const config = readModelConfig(dir);
  const weights = readModelWeights(dir);
  const out: ModelFolder = { config, weights };
  const opt = (name: string) => {
    const p = join(dir, name);
    return existsSync(p) ? readJsonFile<Record<string, unknown>>(p) : undefined;
  };
  const tj = opt('tokenizer.json');
  if (tj) out.tokenizerJson = tj;
  const tc = opt('tokenizer_config.json');
  if (tc) out.tokenizerConfig = tc;
  const gc = opt('generation_config.json');
  if (gc) out.generationConfig = gc;
  return out;
}

/** Files besides config and weights that a checkpoint copies from its source model folder. */
export const AUX_FILES = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'chat_template.jinja', 'special_tokens_map.json'];

/** Copies the tokenizer and generation files of one model folder into another (those that exist). */
export function copyAuxFiles(fromDir: string, toDir: string): void {
  mkdirSync(toDir, { recursive: true });
  for (const f of AUX_FILES) if (existsSync(join(fromDir, f))) copyFileSync(join(fromDir, f), join(toDir, f));
}
