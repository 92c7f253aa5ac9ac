/**
 * The `RemoteSampler` of a recipe's `sampler` block (null for `kind: policy`): a
 * RolloutClient over `sampler.urls` writing weight versions under `sampler.syncDir`
 * (default `<run>/weights-sync/`), for a LocalPolicy only (the weights must be on this
 * machine to be written; the recipe schema already refuses a Tinker policy here).
 */
import { join } from 'node:path';
import { LocalPolicy } from '../policy/local.ts';
import type { Policy } from '../policy/types.ts';
import { createRolloutClient } from '../remote/config.ts';
import { UserError } from '../util/errors.ts';
import type { Recipe } from './config.ts';
import { RemoteSampler, type RolloutSyncState } from './remote-sampler.ts';

export function createRemoteSampler(r: Recipe, policy: Policy, o: { runDir: string; modelDir: string; restored: RolloutSyncState | null; log: (line: string) => void }): RemoteSampler | null {
  const cfg = r.sampler;
  if (cfg.kind === 'policy') return null;
  if (!(policy instanceof LocalPolicy)) {
    throw new UserError(`sampler.kind ${cfg.kind} with policy.kind ${r.policy.kind}: the servers need the policy's weights as files, and only policy.kind local can write them; use sampler.kind policy`);
  }
  const syncDir = cfg.syncDir ?? join(o.runDir, 'weights-sync');
  const baseModel = cfg.baseModel ?? o.modelDir;
  const client = createRolloutClient(cfg, baseModel, syncDir, { prefix: RemoteSampler.prefix(), log: o.log })!;
  o.log(`rollouts: ${cfg.kind} at ${client.pool.endpoints.map((e) => e.url).join(', ')}; weight sync ${cfg.weightSync} via ${syncDir} (the servers must read it and serve ${baseModel})`);
  return new RemoteSampler(client, policy, { journalPath: join(o.runDir, 'rollout-sync.json'), baseModel, log: o.log }, o.restored);
}
