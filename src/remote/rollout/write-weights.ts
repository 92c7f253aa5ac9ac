/**
 * Writes a LocalPolicy's current weights for an inference server: the PEFT adapter
 * (`adapter_config.json` + `adapter_model.safetensors`, what vLLM and SGLang load as LoRA)
 * or a Hugging Face model folder (SGLang `update_weights_from_disk`), BF16 by default as
 * GPU servers serve it.
 */
import { LocalPolicy } from '../../policy/local.ts';
import { UserError } from '../../util/errors.ts';
import type { StDtype } from '../../model/safetensors.ts';
import type { WeightSyncMode } from './rollout-client.ts';

export async function writePolicyWeights(policy: LocalPolicy, dir: string, mode: WeightSyncMode, opts: { baseModel?: string; dtype?: StDtype } = {}): Promise<void> {
  if (mode === 'full') return policy.exportHF(dir, { dtype: opts.dtype ?? 'BF16' });
  const lora = policy.model.lora;
  if (!lora) throw new UserError(`sampler.weight_sync is ${mode}, but the policy trains all weights (no LoRA): use weight_sync: full (SGLang) or train with lora`);
  lora.savePeft(dir, opts.baseModel ?? '');
}
