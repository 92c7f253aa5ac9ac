/**
 * RL rollouts of `longrl train` on vLLM / SGLang servers (recipe `sampler: {kind: vllm |
 * sglang}`): a `RolloutClient` (src/remote/rollout/) samples instead of `policy.sample`,
 * and the policy's weights follow it to the servers by file.
 *
 * Weight version = the policy's optimizer-step count, so a rollout tagged version k was
 * sampled with the weights after k optimizer steps. Before a rollout, when the policy has
 * taken an optimizer step since the last sync (or nothing was synced in this process yet,
 * e.g. right after `--resume`), the weights are written (PEFT LoRA adapter or HF folder, per
 * `sampler.weightSync`) and loaded on every server; within an RL step only the first
 * generation batch syncs, since optimizer steps come after all of them.
 *
 * Only `LocalPolicy` can write its weights: a Tinker policy's weights stay on the service
 * (the recipe schema refuses that combination).
 *
 * Names: `longrl-<tag>-v<k>`, with a random tag per process, so a resumed run never reuses a
 * name a killed process may have left loaded (same-name reloads can serve stale
 * prefix-cache blocks, vllm#42125), and two runs sharing a fleet never collide. A journal
 * (`<run>/rollout-sync.json`: the loaded and the loading version, never a key) is written
 * around each sync: after a resume the first sync retires what the killed process left.
 * The checkpoint holds `RolloutSyncState` (the last synced version and the sync count).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { LocalPolicy } from '../policy/local.ts';
import type { SampleParams } from '../policy/types.ts';
import type { RolloutClient, RolloutSequence } from '../remote/rollout/rollout-client.ts';
import { writePolicyWeights } from '../remote/rollout/write-weights.ts';
import { readJsonFile, writeJsonAtomic } from '../util/fsx.ts';

/** What a checkpoint keeps of the weight sync. */
export interface RolloutSyncState {
  /** Weight version of the last sync (optimizer steps of the weights the servers held). */
  version: number;
  /** Syncs over the whole run (resumes included). */
  syncs: number;
}

interface Journal {
  loaded: { name: string; dir: string; version: number } | null;
  loading: { name: string; dir: string; version: number } | null;
}

export class RemoteSampler {
  private syncedHere = false;
  private stepSyncS = 0;
  private state_: RolloutSyncState;

  constructor(
    readonly client: RolloutClient,
    private readonly policy: LocalPolicy,
    private readonly opts: { journalPath: string; baseModel: string; log: (line: string) => void },
    restored: RolloutSyncState | null,
  ) {
    this.state_ = restored ?? { version: -1, syncs: 0 };
  }

  /** A fresh per-process name prefix (see the module doc). */
  static prefix(): string {
    return `longrl-${randomBytes(3).toString('hex')}`;
  }

  /** G samples per prompt on the servers, after a weight sync when the policy changed. */
  async sample(prompts: readonly (readonly number[])[], params: SampleParams): Promise<RolloutSequence[][]> {
    const version = this.policy.step;
    if (!this.syncedHere || this.client.version !== version) await this.sync(version);
    const out = await this.client.sample(prompts, params);
    for (const s of out.flat()) {
      if (s.weightVersion !== version) throw new Error(`rollout from ${s.endpoint} has weight version ${s.weightVersion}, the policy is at ${version}`);
    }
    return out;
  }

  private async sync(version: number): Promise<void> {
    const t = performance.now();
    const prior = this.readJournal();
    const next = { ...this.client.versionName(version), version };
    writeJsonAtomic(this.opts.journalPath, { loaded: prior.loaded, loading: next } satisfies Journal);
    const mode = this.client.opts.weightSync;
    await this.client.syncWeights((dir) => writePolicyWeights(this.policy, dir, mode, { baseModel: this.opts.baseModel }), version);
    if (!this.syncedHere) {
      // Versions a killed process left on the servers (its names carry another tag).
      for (const left of [prior.loaded, prior.loading]) {
        if (left && left.name !== next.name) await this.client.retire(left.name, existsSync(left.dir) ? left.dir : null, left.version, { quiet: true });
      }
      this.syncedHere = true;
    }
    writeJsonAtomic(this.opts.journalPath, { loaded: next, loading: null } satisfies Journal);
    this.state_ = { version, syncs: this.state_.syncs + 1 };
    this.stepSyncS += (performance.now() - t) / 1000;
  }

  private readJournal(): Journal {
    if (!existsSync(this.opts.journalPath)) return { loaded: null, loading: null };
    try {
      return readJsonFile<Journal>(this.opts.journalPath);
    } catch {
      return { loaded: null, loading: null };
    }
  }

  /** Metrics of the RL step (sync time since the last call; reset on read). */
  takeMetrics(): Record<string, number> {
    const m = { 'timing_s/weight_sync': this.stepSyncS };
    this.stepSyncS = 0;
    return m;
  }

  /** The client's retry and fault counters (`rollout/...`, cumulative in this process). */
  counters(): Record<string, number> {
    return { ...this.client.counters };
  }

  /** For the checkpoint. */
  state(): RolloutSyncState {
    return { ...this.state_ };
  }
}
