/**
 * Rollouts on vLLM / SGLang servers with weight sync by file (remote-backends.md §5, §6).
 *
 * Weight sync writes the current weights to a new folder per version (`<syncDir>/<prefix>-v<k>`,
 * which the servers must be able to read) and then:
 * - vLLM `lora`: `POST /v1/load_lora_adapter {lora_name, lora_path}` under a NEW name per
 *   version (same-name reloads can serve stale prefix-cache blocks, vllm#42125; never
 *   `load_inplace`, vllm#33791), switch requests to it, and unload the old adapter once its
 *   requests in flight are done. Needs `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True` and
 *   `--enable-lora --max-lora-rank R --max-loras 2` (or more).
 * - vLLM `resolver`: the folder is written into the filesystem resolver's cache dir
 *   (`VLLM_PLUGINS=lora_filesystem_resolver`, `VLLM_LORA_RESOLVER_CACHE_DIR`) and requests name it.
 * - SGLang `full`: `POST /update_weights_from_disk {model_path, weight_version, flush_cache}`.
 * - SGLang `lora`: `POST /load_lora_adapter`, requests carry `lora_path: <name>`; old unloaded.
 * vLLM full-weight updates need NCCL from a torch process and are not offered here.
 *
 * Versions are numbers the caller may choose (the trainer uses its optimizer-step count, so
 * `longrl-v12` is "the weights after 12 optimizer steps"); each must be newer than the last.
 * Once the servers have switched, the previous version's folder is deleted (a 14B adapter or
 * model per step would fill the shared disk); `keepOldVersions` keeps them.
 *
 * Every rollout records the weight version it was sampled with and the endpoint; the
 * sampler log-probs travel with it (off-policy correction and the logged
 * trainer-vs-sampler gap live in src/rl/).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SampleParams, SampledSequence } from '../../policy/types.ts';
import { Rng } from '../../util/rng.ts';
import { UserError } from '../../util/errors.ts';
import { EndpointPool, type Endpoint } from './endpoints.ts';
import { fetchJson, type HttpRetryOptions } from './http.ts';
import { parseSglangGenerate, parseVllmCompletion, sglangGenerateBody, vllmCompletionBody, type Engine } from './engines.ts';

export type WeightSyncMode = 'lora' | 'full' | 'resolver';

export interface RolloutClientOptions extends HttpRetryOptions {
  engine: Engine;
  urls: readonly string[];
  /** Model name of the base weights on the server (vLLM `--served-model-name`). */
  baseModel: string;
  weightSync: WeightSyncMode;
  /** Folder for weight versions, readable by the servers (resolver: the resolver's cache dir). */
  syncDir: string;
  /** Adapter name prefix (default `longrl`). */
  prefix?: string;
  /** Endpoint switches per request on failure (default 3). */
  attempts?: number;
  /** Keep the folders of superseded weight versions (default: delete them once unused). */
  keepOldVersions?: boolean;
  log?: (line: string) => void;
}

export interface RolloutSequence extends SampledSequence {
  /** Weight version the sample was drawn with (0 = the server's base weights). */
  weightVersion: number;
  endpoint: string;
}

export interface WeightSyncEvent {
  endpoint: string;
  action: 'load_lora_adapter' | 'unload_lora_adapter' | 'update_weights_from_disk' | 'write' | 'delete';
  name: string;
  version: number;
}

export class RolloutClient {
  readonly pool: EndpointPool;
  readonly counters: Record<string, number> = {};
  readonly events: WeightSyncEvent[] = [];
  version = 0;
  /** The name requests use: base model (null), or the current weight version's name. */
  private current: string | null = null;
  private currentDir: string | null = null;

  /** Adapter name and folder of weight version `v`: `<prefix>-v<v>` under the sync folder. */
  versionName(v: number): { name: string; dir: string } {
    const name = `${this.opts.prefix ?? 'longrl'}-v${v}`;
    return { name, dir: resolve(join(this.opts.syncDir, name)) };
  }

  /** The current weight version's name and folder (null before the first sync). */
  get synced(): { name: string; dir: string; version: number } | null {
    return this.current && this.currentDir ? { name: this.current, dir: this.currentDir, version: this.version } : null;
  }
  private readonly inFlight = new Map<string, number>();
  private readonly drained = new Map<string, (() => void)[]>();

  constructor(readonly opts: RolloutClientOptions) {
    if (opts.engine === 'vllm' && opts.weightSync === 'full') {
      throw new UserError('sampler.weight_sync: full-weight updates of vLLM need NCCL from a torch process; use lora (or resolver) with vLLM, or SGLang for full weights');
    }
    if (opts.engine === 'sglang' && opts.weightSync === 'resolver') throw new UserError('sampler.weight_sync: resolver is a vLLM plugin; use lora or full with SGLang');
    this.pool = new EndpointPool(opts.urls);
  }

  private bump(key: string): void {
    this.counters[key] = (this.counters[key] ?? 0) + 1;
  }

  private post(url: string, body: unknown, pooled = false): Promise<unknown> {
    return fetchJson(url, body, pooled ? { ...this.opts, retryConnection: false } : this.opts, this.counters);
  }

  /**
   * Publishes a new weight version: `write(dir)` writes it (PEFT adapter for lora/resolver,
   * HF folder for full), then every server loads it; returns the new version.
   */
  async syncWeights(write: (dir: string) => Promise<void> | void, version = this.version + 1): Promise<number> {
    const v = version;
    if (!Number.isInteger(v) || v < 0 || (this.current !== null && v <= this.version)) {
      throw new Error(`weight sync: version ${v} is not newer than the current version ${this.version}`);
    }
    const { name, dir } = this.versionName(v);
    mkdirSync(dir, { recursive: true });
    await write(dir);
    this.events.push({ endpoint: '', action: 'write', name, version: v });
    let loaded = 0;
    for (const e of this.pool.endpoints) {
      try {
        await this.loadOn(e, name, dir, v);
        loaded++;
      } catch (err) {
        // A server that could not take the new weights stops serving until it can (resync).
        e.healthy = false;
        e.weightVersion = -1;
        this.bump('rollout/sync_failed');
        this.opts.log?.(`rollout: ${e.url} could not load ${name}: ${(err as Error).message}`);
      }
    }
    if (loaded === 0) throw new UserError(`weight sync: no inference server could load ${dir} (see the log); check that the servers can read sampler.syncDir`);
    const old = this.synced;
    this.currentDir = dir;
    this.current = name;
    this.version = v;
    this.bump('rollout/weight_syncs');
    if (old) {
      await this.waitDrained(old.name);
      await this.retire(old.name, old.dir, old.version);
    }
    return v;
  }

  /**
   * Retires a superseded weight version: unloads adapter `name` from every server (LoRA
   * modes; a server that does not hold it is fine) and deletes its folder `dir` (unless
   * `keepOldVersions`). Also used after a resume for the version a killed run left loaded.
   */
  async retire(name: string, dir: string | null, version = -1, opts: { quiet?: boolean } = {}): Promise<void> {
    const { engine, weightSync } = this.opts;
    if (weightSync === 'lora') {
      // Servers that are down are skipped (retrying them would stall every sync); one that
      // comes back keeps the old adapter loaded, which costs memory, not correctness.
      for (const e of this.pool.endpoints.filter((x) => x.healthy)) {
        const route = engine === 'vllm' ? '/v1/unload_lora_adapter' : '/unload_lora_adapter';
        try {
          await this.post(`${e.url}${route}`, { lora_name: name });
          this.events.push({ endpoint: e.url, action: 'unload_lora_adapter', name, version });
        } catch (err) {
          if (opts.quiet) continue;
          this.bump('rollout/unload_failed');
          this.opts.log?.(`rollout: could not unload ${name} from ${e.url}: ${(err as Error).message}`);
        }
      }
    }
    if (dir && !this.opts.keepOldVersions && dir !== this.currentDir) {
      rmSync(dir, { recursive: true, force: true });
      this.events.push({ endpoint: '', action: 'delete', name, version });
    }
  }

  /** Loads weight version `v` (folder `dir`, adapter `name`) on one endpoint. */
  private async loadOn(e: Endpoint, name: string, dir: string, v: number): Promise<void> {
    const { engine, weightSync } = this.opts;
    if (engine === 'vllm' && weightSync === 'lora') {
      await this.post(`${e.url}/v1/load_lora_adapter`, { lora_name: name, lora_path: dir });
      this.events.push({ endpoint: e.url, action: 'load_lora_adapter', name, version: v });
    } else if (engine === 'sglang' && weightSync === 'lora') {
      await this.post(`${e.url}/load_lora_adapter`, { lora_name: name, lora_path: dir });
      this.events.push({ endpoint: e.url, action: 'load_lora_adapter', name, version: v });
    } else if (engine === 'sglang' && weightSync === 'full') {
      const r = (await this.post(`${e.url}/update_weights_from_disk`, { model_path: dir, weight_version: String(v), flush_cache: true, abort_all_requests: false })) as { success?: boolean; message?: string };
      if (r.success === false) throw new UserError(`${e.url}/update_weights_from_disk refused ${dir}: ${r.message ?? 'no message'}`);
      this.events.push({ endpoint: e.url, action: 'update_weights_from_disk', name, version: v });
    }
    e.weightVersion = v;
  }

  /** Brings servers that came back (healthy again) up to the current weight version. */
  async resync(): Promise<number> {
    const stale = this.pool.endpoints.filter((e) => e.weightVersion !== this.version);
    if (stale.length === 0 || !this.current || !this.currentDir) return 0;
    await this.pool.checkHealth();
    let n = 0;
    for (const e of stale.filter((x) => x.healthy)) {
      try {
        await this.loadOn(e, this.current, this.currentDir, this.version);
        n++;
        this.bump('rollout/resynced');
      } catch {
        e.healthy = false;
      }
    }
    return n;
  }

  private waitDrained(name: string): Promise<void> {
    if (!this.inFlight.get(name)) return Promise.resolve();
    return new Promise((r) => {
      const list = this.drained.get(name) ?? [];
      list.push(r);
      this.drained.set(name, list);
    });
  }

  private track(name: string, delta: number): void {
    const n = (this.inFlight.get(name) ?? 0) + delta;
    this.inFlight.set(name, n);
    if (n === 0) for (const r of this.drained.get(name)?.splice(0) ?? []) r();
  }

  /** G samples per prompt (one request per prompt, least-loaded endpoint, retried elsewhere on failure). */
  async sample(prompts: readonly (readonly number[])[], params: SampleParams): Promise<RolloutSequence[][]> {
    const { engine, weightSync } = this.opts;
    if (this.pool.endpoints.some((e) => e.weightVersion !== this.version)) await this.resync();
    return Promise.all(prompts.map(async (prompt, i) => {
      const seed = i === 0 ? params.seed : Rng.derive(params.seed, `remote-prompt/${i}`).int(2 ** 31);
      const name = this.current;
      const version = this.version;
      const key = name ?? '';
      this.track(key, 1);
      try {
        return await this.pool.run(async (e) => {
          let seqs: SampledSequence[];
          if (engine === 'vllm') {
            const model = name && (weightSync === 'lora' || weightSync === 'resolver') ? name : this.opts.baseModel;
            const url = `${e.url}/v1/completions`;
            seqs = parseVllmCompletion(await this.post(url, vllmCompletionBody(model, prompt, params, seed), true), params.n, url);
          } else {
            const url = `${e.url}/generate`;
            seqs = parseSglangGenerate(await this.post(url, sglangGenerateBody(prompt, params, seed, weightSync === 'lora' ? name : null), true), params.n, url);
          }
          return seqs.map((s) => ({ ...s, weightVersion: version, endpoint: e.url }));
        }, this.opts.attempts ?? 3, () => this.bump('rollout/endpoint_switch'), version);
      } finally {
        this.track(key, -1);
      }
    }));
  }
}
