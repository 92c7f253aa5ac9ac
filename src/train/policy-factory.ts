/**
 * The Policy a recipe trains, from its `policy` section: `local` is the in-process CPU
 * engine (LocalPolicy over an HF model folder). Remote kinds (Tinker, ...) plug in here:
 * the trainers only see the `Policy` seam.
 */
import { LocalPolicy } from '../policy/local.ts';
import type { Policy } from '../policy/types.ts';
import type { LoraTarget } from '../model/lora.ts';
import type { Recipe } from './config.ts';

export function createPolicy(cfg: Recipe['policy'], modelDir: string): Policy {
  const lora = cfg.lora
    ? { rank: cfg.lora.rank, alpha: cfg.lora.alpha, ...(cfg.lora.targetModules ? { targetModules: cfg.lora.targetModules as LoraTarget[] } : {}) }
    : null;
  return LocalPolicy.fromFolder(modelDir, { ...(cfg.threads !== undefined ? { threads: cfg.threads } : {}), lora });
}
