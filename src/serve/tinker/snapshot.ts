/**
 * A frozen copy of a policy's current weights (base + LoRA) for an ephemeral sampling
 * session: later training steps do not change what the session samples.
 */
import { LocalPolicy } from '../../policy/local.ts';
import { ModelWeights } from '../../model/weights.ts';

export function snapshotPolicy(p: LocalPolicy): LocalPolicy {
  const w = new ModelWeights(p.config, p.weights.data.slice());
  const lora = p.model.lora;
  const { adapterDir: _unused, ...rest } = p.opts;
  const snap = new LocalPolicy(w, { ...rest, lora: lora ? { rank: lora.rank, alpha: lora.alpha, targetModules: lora.targets } : null });
  if (lora) snap.model.lora!.data.set(lora.data);
  return snap;
}
