/**
 * The Policy a recipe trains, from its `policy` section: `local` is the in-process CPU
 * engine (LocalPolicy over an HF model folder); `tinker` is a RemotePolicy over a
 * Tinker-API service (src/remote/: hosted Tinker, SkyRL tx, `longrl serve --tinker`),
 * which opens a session and creates the model, hence async. The trainers only see the
 * `Policy` seam; `remote` is set for remote policies so the runner can log their retry
 * counters and close them (stop the session heartbeat) at the end of a run.
 */
import { LocalPolicy } from '../policy/local.ts';
import type { Policy } from '../policy/types.ts';
import type { LoraTarget } from '../model/lora.ts';
import { createRemotePolicy } from '../remote/config.ts';
import type { RemotePolicy } from '../remote/remote-policy.ts';
import type { Recipe } from './config.ts';

export interface CreatedPolicy {
  policy: Policy;
  /** The same object when the policy is remote; null for the local engine. */
  remote: RemotePolicy | null;
}

export async function createPolicy(cfg: Recipe['policy'], modelDir: string, log?: (line: string) => void): Promise<CreatedPolicy> {
  if (cfg.kind === 'tinker') {
    const remote = await createRemotePolicy(cfg, log);
    return { policy: remote, remote };
  }
  const lora = cfg.lora
    ? { rank: cfg.lora.rank, alpha: cfg.lora.alpha, ...(cfg.lora.targetModules ? { targetModules: cfg.lora.targetModules as LoraTarget[] } : {}) }
    : null;
  return { policy: LocalPolicy.fromFolder(modelDir, { ...(cfg.threads !== undefined ? { threads: cfg.threads } : {}), packRows: cfg.packRows, lora }), remote: null };
}
