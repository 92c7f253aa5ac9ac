// model-compute: the engine that trains and samples.
export { ModelWeights, dimsOf, paramLayout, makeViews, type Dims, type LayerParams, type ParamViews, type ParamEntry } from './weights.ts';
export { RopeTables, ropeParameters, type RopeConfig } from './rope.ts';
export { QwenModel, logitChunkRows, type SeqTape, type SeqForwardOptions, type SeqForwardResult } from './qwen.ts';
export { KvCache } from './kvcache.ts';
export { Decoder, generate, mergeAttention, sampleSteps, type DecodeRow, type GenerateOptions, type StepOptions, type StepPrompt, type TokenEvent } from './generate.ts';
export { TokenPicker, type PickParams } from './sampler.ts';
export { LoraAdapters, LORA_TARGETS, type LoraOptions, type LoraTarget, type LoraPair, type LoraLayer } from './lora.ts';
export { AdamW } from './optim.ts';
export { learningRateAt, type LrSchedule } from './schedule.ts';
export { crossEntropyLoss, type CrossEntropyOptions } from './losses.ts';
