/**
 * A complete from-scratch model of a preset: config, random weights and the preset
 * tokenizer (trained on the built-in corpus plus caller text). The tokenizer does not
 * depend on the seed, so models of one preset and corpus share token ids.
 */
import { buildChatTokenizer } from '../../tokenizer/preset-tokenizer.ts';
import { UserError } from '../../util/errors.ts';
import { presetConfig, getPreset } from '../presets.ts';
import { initModelWeights } from '../init.ts';
import { writeModelFolder, type ModelFolder } from '../folder.ts';
import type { StDtype } from '../safetensors.ts';

export interface PresetModelOptions {
  seed?: number;
  /** Task text whose words should become single tokens. */
  extraTexts?: string[];
}

export function buildPresetModel(presetName: string, opts: PresetModelOptions = {}): ModelFolder {
  const preset = getPreset(presetName);
  const { tokenizerJson, tokenizerConfig } = buildChatTokenizer({
    vocabSize: preset.vocabSize,
    modelMaxLength: preset.maxPositionEmbeddings,
    ...(opts.extraTexts ? { extraTexts: opts.extraTexts } : {}),
  });
  const added = tokenizerJson['added_tokens'] as { id: number; content: string }[];
  const idOf = (s: string) => {
    const t = added.find((a) => a.content === s);
    if (!t) throw new UserError(`preset tokenizer lacks ${s}`);
    return t.id;
  };
  const endOfText = idOf('<|endoftext|>');
  const imEnd = idOf('<|im_end|>');
  const config = presetConfig(preset, { bosTokenId: endOfText, eosTokenIds: [imEnd] });
  const weights = initModelWeights(config, opts.seed ?? 0);
  return {
    config,
    weights,
    tokenizerJson,
    tokenizerConfig,
    generationConfig: { bos_token_id: endOfText, eos_token_id: [imEnd, endOfText], pad_token_id: endOfText },
  };
}

/** Builds a preset model and writes its folder; returns it. */
export function initModelFolder(dir: string, presetName: string, opts: PresetModelOptions & { dtype?: StDtype } = {}): ModelFolder {
  const m = buildPresetModel(presetName, opts);
  writeModelFolder(dir, { ...m, dtype: opts.dtype ?? 'F32' });
  return m;
}
