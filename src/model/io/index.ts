// model-io: files and formats (config.json, safetensors, GGUF, presets, random init, model folders).
export { parseModelConfig, modelConfigToHF, readModelConfig, type ModelConfig, type RopeScaling } from '../config.ts';
export {
  readSafetensorsFile, readSafetensorsHeader, readModelWeights, writeSafetensorsFile, writeModelWeights, encodeSafetensors,
  type StDtype, type Tensor,
} from '../safetensors.ts';
export { writeGguf, ggufTensorName, tokenizerMetadata, modelMetadata, type GgufDtype, type GgufExportInput } from '../gguf.ts';
export { readGguf, readGgufTensor, type GgufFile, type GgufTensorInfo } from './gguf-reader.ts';
export { PRESETS, getPreset, presetConfig, type ModelPreset } from '../presets.ts';
export { initModelWeights, modelTensorShapes, countParameters, fillNormal } from '../init.ts';
export { writeModelFolder, readModelFolder, copyAuxFiles, defaultGenerationConfig, AUX_FILES, type ModelFolder, type WriteModelFolderOptions } from '../folder.ts';
export { buildPresetModel, initModelFolder, type PresetModelOptions } from './preset-model.ts';
export { bf16ToF32Loop, f16ToF32Loop, f32ToBf16Loop, f32ToF16Loop, halfToFloat, floatToHalf } from './dtype.ts';
