/**
 * A Tinker-compatible training service over `LocalPolicy` (remote-backends.md §1, §8): the
 * JSON API of Tinker SDKs ≤ 0.24 and SkyRL tx under `/api/v1/`, so Tinker clients (and
 * longrl's `RemotePolicy`) train a local model.
 *
 * - Sessions expire after `sessionTimeoutMs` (default 300 s) without `session_heartbeat`;
 *   their models and sampling sessions are dropped then.
 * - Training calls of one model run strictly in `seq_id` order (1, 2, 3, …): a later id
 *   waits for the missing ones; a repeated id is the same request (its future is returned
 *   again, nothing runs twice), so retried POSTs are safe.
 * - `retrieve_future` long-polls up to `longPollMs` (default 25 s), then `{type: "try_again"}`.
 * - `tinker://<model_id>/weights/<name>` and `.../sampler_weights/<name>` are folders under
 *   `stateDir`.
 * - `normalize: 'skyrl'` reproduces SkyRL's JAX normalisation (see losses.ts) and
 *   `ignoreGradClip` its ignored `grad_clip_norm`, for parity tests of client mappings.
 * - Faults (faults.ts) are injected per route for client tests.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdirSync, mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { LocalPolicy } from '../../policy/local.ts';
import type { SampleParams } from '../../policy/types.ts';
import type { LoraOptions } from '../../model/lora.ts';
import { readModelConfig } from '../../model/config.ts';
import { UserError } from '../../util/errors.ts';
import { FutureStore, type FutureOutcome } from './futures.ts';
import { FaultScript, type TinkerFault, type TinkerFaults } from './faults.ts';
import { builtinLoss, checkLossName, toPolicyDatum, type Normalize } from './losses.ts';
import { authorised, readJsonBody, send } from './http.ts';
import { snapshotPolicy } from './snapshot.ts';
import { WireError, asInt, asObject, asString, floatTensor, modelInputTokens, optNumber, parseData, type Json } from './wire.ts';

export interface TinkerServiceOptions {
  /** The served HF model folder (the only `base_model`). */
  modelDir: string;
  /** The `base_model` name clients use (default: the folder's name). */
  modelName?: string;
  /** Builds a policy for `create_model` (default `LocalPolicy.fromFolder(modelDir, {lora, threads})`). */
  policyFactory?: (opts: { lora: LoraOptions | null }) => LocalPolicy;
  threads?: number;
  /** LoRA alpha (SkyRL and Tinker fix 32). */
  loraAlpha?: number;
  /** Loss normalisation: `sum` (hosted Tinker, default) or `skyrl` (SkyRL tx JAX backend). */
  normalize?: Normalize;
  /** Ignore `grad_clip_norm` as SkyRL does (default false). */
  ignoreGradClip?: boolean;
  /** Session expiry without heartbeat in ms (default 300 000). */
  sessionTimeoutMs?: number;
  /** Longest hold of a `retrieve_future` long poll in ms (default 25 000; at most 30 000). */
  longPollMs?: number;
  /**
   * Where `tinker://` checkpoints live. Default: a new temp folder, removed when the
   * service closes (its `tinker://` paths name nothing once this service is gone); pass a
   * folder to keep them.
   */
  stateDir?: string;
  /** Required `X-API-Key` (or `Authorization: Bearer`) when set. */
  apiKey?: string;
  faults?: TinkerFaults;
  /** Largest request body in bytes (default 64 MiB). */
  maxBodyBytes?: number;
  log?: (line: string) => void;
}

export interface TinkerService {
  handleTinkerRequest(req: IncomingMessage, res: ServerResponse): void;
  close(): void;
  /** Fault script (tests append faults) and counters. */
  readonly faults: FaultScript;
  /** Operations executed, by route (a deduplicated retry does not count). */
  readonly applied: Record<string, number>;
  readonly stateDir: string;
}

interface Session {
  id: string;
  lastBeat: number;
  models: Set<string>;
  modelSeq: Map<number, SeqEntry>;
  samplerSeq: Map<number, SeqEntry>;
}

interface SeqEntry {
  futureIds: string[];
  outcome: FutureOutcome | null;
}

interface Model {
  id: string;
  session: string;
  policy: LocalPolicy;
  lora: LoraOptions | null;
  nextSeq: number;
  seqs: Map<number, SeqEntry>;
  jobs: Map<number, () => Promise<Json>>;
  running: boolean;
  /** Datums accumulated since the last optim_step (SkyRL divides the gradient by it). */
  pendingDatums: number;
}

interface SamplingSession {
  id: string;
  session: string;
  policy: LocalPolicy;
  seqs: Map<number, SeqEntry>;
}

const SDK_COMPAT = 'JSON API of Tinker SDK <= 0.24 / SkyRL tx';

export function createTinkerService(opts: TinkerServiceOptions): TinkerService {
  const modelDir = resolve(opts.modelDir);
  const modelName = opts.modelName ?? basename(modelDir);
  const normalize: Normalize = opts.normalize ?? 'sum';
  const sessionTimeoutMs = opts.sessionTimeoutMs ?? 300_000;
  const longPollMs = Math.min(opts.longPollMs ?? 25_000, 30_000);
  const ownsStateDir = opts.stateDir === undefined;
  const stateDir = resolve(opts.stateDir ?? mkdtempSync(join(tmpdir(), 'longrl-tinker-')));
  const maxBody = opts.maxBodyBytes ?? 64 * 2 ** 20;
  const log = opts.log ?? (() => {});
  const factory = opts.policyFactory ?? ((o: { lora: LoraOptions | null }) => LocalPolicy.fromFolder(modelDir, { lora: o.lora, ...(opts.threads ? { threads: opts.threads } : {}) }));
  const faults = new FaultScript(opts.faults);
  const applied: Record<string, number> = {};
  const futures = new FutureStore();
  const sessions = new Map<string, Session>();
  const models = new Map<string, Model>();
  const samplers = new Map<string, SamplingSession>();
  const epoch = Date.now().toString(36);
  let counter = 0;
  const newId = (kind: string) => `${kind}-${epoch}-${++counter}`;
  const abort = new AbortController();
  let maxContext: number | undefined;

  const reaper = setInterval(() => {
    const now = Date.now();
    for (const s of sessions.values()) {
      if (now - s.lastBeat <= sessionTimeoutMs) continue;
      log(`tinker: session ${s.id} expired (no heartbeat for ${sessionTimeoutMs} ms); its models are unloaded`);
      dropSession(s);
    }
  }, Math.max(50, Math.min(5000, sessionTimeoutMs / 4)));
  reaper.unref();

  function dropSession(s: Session): void {
    sessions.delete(s.id);
    for (const m of s.models) models.delete(m);
    for (const [id, sp] of samplers) if (sp.session === s.id) samplers.delete(id);
  }

  function session(id: unknown): Session {
    const s = sessions.get(asString(id, 'session_id'));
    if (!s) throw new WireError(404, `session ${String(id)} is unknown or expired (send session_heartbeat at least every ${Math.round(sessionTimeoutMs / 1000)} s)`);
    return s;
  }

  function model(id: unknown): Model {
    const m = models.get(asString(id, 'model_id'));
    if (!m) throw new WireError(404, `model ${String(id)} is unknown or was unloaded (its session expired?)`);
    return m;
  }

  function count(route: string): void {
    applied[route] = (applied[route] ?? 0) + 1;
  }

  async function runJob(job: () => Promise<Json>): Promise<FutureOutcome> {
    try {
      return { ok: true, value: await job() };
    } catch (e) {
      const err = e as Error;
      if (e instanceof UserError || e instanceof WireError) return { ok: false, status: 400, error: err.message, category: 'User' };
      log(`tinker: internal error: ${err.stack ?? err.message}`);
      return { ok: false, status: 500, error: err.message, category: 'Server' };
    }
  }

  function settle(entry: SeqEntry, outcome: FutureOutcome): void {
    entry.outcome = outcome;
    for (const id of entry.futureIds) futures.resolve(id, outcome);
  }

  /** Registers a request under its key; a repeated key returns a live future of the same request. */
  function register(seqs: Map<number, SeqEntry>, seq: number): { entry: SeqEntry; fresh: boolean; futureId: string } {
    const old = seqs.get(seq);
    if (old) {
      const live = old.futureIds.find((id) => futures.has(id));
      if (live) return { entry: old, fresh: false, futureId: live };
      const id = futures.create();
      old.futureIds.push(id);
      if (old.outcome) futures.resolve(id, old.outcome);
      return { entry: old, fresh: false, futureId: id };
    }
    const entry: SeqEntry = { futureIds: [futures.create()], outcome: null };
    seqs.set(seq, entry);
    return { entry, fresh: true, futureId: entry.futureIds[0]! };
  }

  /** Queues a training call of model `m` under `seq_id` and runs calls in order. */
  function enqueue(m: Model, route: string, seqRaw: unknown, job: () => Promise<Json>): Json {
    const seq = asInt(seqRaw, 'seq_id');
    if (!m.seqs.has(seq) && seq < m.nextSeq) throw new WireError(400, `seq_id ${seq} of model ${m.id} was already used (next is ${m.nextSeq})`);
    const r = register(m.seqs, seq);
    if (r.fresh) {
      m.jobs.set(seq, async () => {
        const out = await job();
        count(route);
        return out;
      });
      setImmediate(() => void pump(m));
    }
    return { request_id: r.futureId, model_id: m.id };
  }

  async function pump(m: Model): Promise<void> {
    if (m.running) return;
    m.running = true;
    try {
      for (;;) {
        const job = m.jobs.get(m.nextSeq);
        if (!job) break;
        m.jobs.delete(m.nextSeq);
        const entry = m.seqs.get(m.nextSeq)!;
        settle(entry, await runJob(job));
        m.nextSeq++;
      }
    } finally {
      m.running = false;
    }
  }

  function immediate(job: () => Promise<Json>, seqs?: Map<number, SeqEntry>, seq?: number): Json {
    const r = seqs && seq !== undefined ? register(seqs, seq) : (() => {
      const entry: SeqEntry = { futureIds: [futures.create()], outcome: null };
      return { entry, fresh: true, futureId: entry.futureIds[0]! };
    })();
    if (r.fresh) setImmediate(() => void runJob(job).then((o) => settle(r.entry, o)));
    return { request_id: r.futureId };
  }

  function tinkerDir(path: unknown, field: string): string {
    const p = asString(path, field);
    const m = /^tinker:\/\/([A-Za-z0-9_.-]+)\/(weights|sampler_weights)\/([A-Za-z0-9_.-]+)$/.exec(p);
    if (!m) throw new WireError(400, `${field} "${p}" is not a tinker://<model_id>/weights/<name> path`);
    return join(stateDir, m[1]!, m[2]!, m[3]!);
  }

  function checkName(v: unknown, field: string): string {
    const name = asString(v, field);
    if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith('.')) throw new WireError(400, `${field} "${name}" may hold only letters, digits, _ . - (a checkpoint name, not a path)`);
    return name;
  }


  function newSampler(sessionId: string, policy: LocalPolicy): string {
    const id = newId('sampler');
    samplers.set(id, { id, session: sessionId, policy, seqs: new Map() });
    return id;
  }

  function lossOutputs(logprobs: readonly Float32Array[]): Json[] {
    return logprobs.map((lp) => ({ logprobs: floatTensor(lp) }));
  }

  // ---- route handlers (body → JSON reply) ----
  const routes: Record<string, (body: Json) => Json | Promise<Json>> = {
    create_session: () => {
      const id = newId('session');
      sessions.set(id, { id, lastBeat: Date.now(), models: new Set(), modelSeq: new Map(), samplerSeq: new Map() });
      return { session_id: id, type: 'create_session' };
    },
    session_heartbeat: (b) => {
      session(b['session_id']).lastBeat = Date.now();
      return { type: 'session_heartbeat' };
    },
    create_model: (b) => {
      const s = session(b['session_id']);
      const base = asString(b['base_model'], 'base_model');
      if (base !== modelName) throw new WireError(400, `base_model "${base}" is not served here; this server serves "${modelName}"`);
      const lc = b['lora_config'] === undefined || b['lora_config'] === null ? {} : asObject(b['lora_config'], 'lora_config');
      const rank = lc['rank'] === undefined ? 32 : asInt(lc['rank'], 'lora_config.rank');
      if (rank < 0) throw new WireError(400, 'lora_config.rank must be ≥ 0 (0 = full fine-tuning)');
      const lora: LoraOptions | null = rank === 0 ? null : { rank, alpha: opts.loraAlpha ?? 32, seed: typeof lc['seed'] === 'number' ? lc['seed'] : 0 };
      const seq = b['model_seq_id'] === undefined ? s.modelSeq.size : asInt(b['model_seq_id'], 'model_seq_id');
      const reply = immediate(async () => {
        const id = newId('model');
        models.set(id, { id, session: s.id, policy: factory({ lora }), lora, nextSeq: 1, seqs: new Map(), jobs: new Map(), running: false, pendingDatums: 0 });
        s.models.add(id);
        count('create_model');
        return { model_id: id, type: 'create_model' };
      }, s.modelSeq, seq);
      return reply;
    },
    get_info: (b) => {
      const m = model(b['model_id']);
      return { model_id: m.id, model_data: { model_name: modelName, lora_rank: m.lora?.rank ?? 0 }, type: 'get_info' };
    },
    unload_model: (b) => {
      const m = model(b['model_id']);
      models.delete(m.id);
      sessions.get(m.session)?.models.delete(m.id);
      return immediate(async () => ({ model_id: m.id, type: 'unload_model' }));
    },
    forward: (b) => {
      const m = model(b['model_id']);
      const input = asObject(b['forward_input'], 'forward_input');
      const data = parseData(input['data'], 'forward_input.data');
      return enqueue(m, 'forward', b['seq_id'], async () => {
        const out = await m.policy.forward(data.map(toPolicyDatum));
        return { loss_fn_output_type: 'TensorData', loss_fn_outputs: lossOutputs(out.logprobs), metrics: {}, type: 'forward' };
      });
    },
    forward_backward: (b) => {
      const m = model(b['model_id']);
      const input = asObject(b['forward_backward_input'], 'forward_backward_input');
      const data = parseData(input['data'], 'forward_backward_input.data');
      const name = checkLossName(input['loss_fn']);
      const config = input['loss_fn_config'] === undefined || input['loss_fn_config'] === null ? undefined : asObject(input['loss_fn_config'], 'loss_fn_config');
      return enqueue(m, 'forward_backward', b['seq_id'], async () => {
        const out = await m.policy.forwardBackward(data.map(toPolicyDatum), builtinLoss(name, data, config, normalize));
        m.pendingDatums += data.length;
        return { loss_fn_output_type: 'TensorData', loss_fn_outputs: lossOutputs(out.logprobs), metrics: { 'loss:sum': out.loss }, type: 'forward_backward' };
      });
    },
    optim_step: (b) => {
      const m = model(b['model_id']);
      const a = asObject(b['adam_params'] ?? {}, 'adam_params');
      const adam = {
        learningRate: optNumber(a['learning_rate'], 'adam_params.learning_rate', 1e-4),
        beta1: optNumber(a['beta1'], 'adam_params.beta1', 0.9),
        beta2: optNumber(a['beta2'], 'adam_params.beta2', 0.95),
        eps: optNumber(a['eps'], 'adam_params.eps', 1e-12),
        weightDecay: optNumber(a['weight_decay'], 'adam_params.weight_decay', 0),
        gradClipNorm: opts.ignoreGradClip ? 0 : optNumber(a['grad_clip_norm'], 'adam_params.grad_clip_norm', 0),
      };
      return enqueue(m, 'optim_step', b['seq_id'], async () => {
        if (normalize === 'skyrl' && m.pendingDatums > 1) {
          const lora = m.policy.model.lora;
          const g = lora ? lora.enableGrads() : m.policy.model.grads;
          if (g) for (let i = 0; i < g.length; i++) g[i] = g[i]! / m.pendingDatums;
        }
        m.pendingDatums = 0;
        const r = await m.policy.optimStep(adam);
        return { metrics: { 'grad_norm:mean': r.gradNorm, 'step:max': r.step }, type: 'optim_step' };
      });
    },
    save_weights: (b) => {
      const m = model(b['model_id']);
      const name = checkName(b['path'], 'path');
      return enqueue(m, 'save_weights', b['seq_id'], async () => {
        const dir = join(stateDir, m.id, 'weights', name);
        mkdirSync(dir, { recursive: true });
        await m.policy.save(dir);
        return { path: `tinker://${m.id}/weights/${name}`, type: 'save_weights' };
      });
    },
    load_weights: (b) => {
      const m = model(b['model_id']);
      const dir = tinkerDir(b['path'], 'path');
      const seq = asInt(b['seq_id'], 'seq_id');
      if (seq !== 1 && !m.seqs.has(seq)) throw new WireError(400, `load_weights must be a fresh model's first request (seq_id 1), got seq_id ${seq}; create a new model to load into`);
      return enqueue(m, 'load_weights', seq, async () => {
        if (!existsSync(dir)) throw new UserError(`checkpoint ${String(b['path'])} does not exist on this server`);
        await m.policy.load(dir);
        return { path: String(b['path']), type: 'load_weights' };
      });
    },
    save_weights_for_sampler: (b) => {
      const m = model(b['model_id']);
      const named = b['path'] !== undefined && b['path'] !== null;
      const name = named ? checkName(b['path'], 'path') : null;
      return enqueue(m, 'save_weights_for_sampler', b['seq_id'], async () => {
        if (name) {
          const dir = join(stateDir, m.id, 'sampler_weights', name);
          await m.policy.exportHF(dir);
          return { path: `tinker://${m.id}/sampler_weights/${name}`, sampling_session_id: null, type: 'save_weights_for_sampler' };
        }
        return { path: null, sampling_session_id: newSampler(m.session, snapshotPolicy(m.policy)), type: 'save_weights_for_sampler' };
      });
    },
    create_sampling_session: (b) => {
      const s = session(b['session_id']);
      const seq = b['sampling_session_seq_id'] === undefined ? s.samplerSeq.size : asInt(b['sampling_session_seq_id'], 'sampling_session_seq_id');
      const path = b['model_path'];
      const dir = path === undefined || path === null ? null : tinkerDir(path, 'model_path');
      if (!dir) {
        const base = asString(b['base_model'], 'base_model');
        if (base !== modelName) throw new WireError(400, `base_model "${base}" is not served here; this server serves "${modelName}"`);
      }
      const r = register(s.samplerSeq, seq);
      if (r.fresh) {
        void runJob(async () => {
          if (dir && !existsSync(join(dir, 'config.json'))) throw new UserError(`model_path ${String(path)} is not a sampler checkpoint on this server`);
          const policy = dir ? LocalPolicy.fromFolder(dir, opts.threads ? { threads: opts.threads } : {}) : factory({ lora: null });
          return { sampling_session_id: newSampler(s.id, policy) };
        }).then((o) => settle(r.entry, o));
      }
      const out = futures.wait(r.futureId, longPollMs);
      return out.then((o) => {
        if (!o) throw new WireError(500, 'sampling session creation did not finish');
        if (!o.ok) throw new WireError(o.status, o.error);
        return o.value;
      });
    },
    asample: (b) => {
      const sid = asString(b['sampling_session_id'], 'sampling_session_id');
      const sp = samplers.get(sid);
      if (!sp) throw new WireError(404, `sampling session ${sid} is unknown (create it with save_weights_for_sampler)`);
      const prompt = modelInputTokens(b['prompt'], 'prompt');
      if (prompt.length === 0) throw new WireError(400, 'prompt has no tokens');
      const p = asObject(b['sampling_params'] ?? {}, 'sampling_params');
      const stop = p['stop'];
      const stopList = stop === undefined || stop === null ? [] : Array.isArray(stop) ? stop : [stop];
      if (!stopList.every((x) => typeof x === 'number') && !stopList.every((x) => typeof x === 'string')) throw new WireError(400, 'sampling_params.stop must be all token ids or all strings');
      const params: SampleParams = {
        n: b['num_samples'] === undefined ? 1 : asInt(b['num_samples'], 'num_samples'),
        temperature: optNumber(p['temperature'], 'sampling_params.temperature', 1),
        topP: optNumber(p['top_p'], 'sampling_params.top_p', 1),
        topK: optNumber(p['top_k'], 'sampling_params.top_k', -1),
        maxTokens: asInt(p['max_tokens'], 'sampling_params.max_tokens'),
        seed: p['seed'] === undefined || p['seed'] === null ? Math.floor(Math.random() * 2 ** 31) : asInt(p['seed'], 'sampling_params.seed'),
        ...(stopList.length && typeof stopList[0] === 'number' ? { stopTokenIds: stopList as number[] } : {}),
        ...(stopList.length && typeof stopList[0] === 'string' ? { stopStrings: stopList as string[] } : {}),
      };
      const seq = b['seq_id'] === undefined ? sp.seqs.size : asInt(b['seq_id'], 'seq_id');
      return immediate(async () => {
        const [seqs] = await sp.policy.sample([prompt], params);
        count('asample');
        return {
          sequences: seqs!.map((x) => ({ tokens: x.tokens, logprobs: x.logprobs, stop_reason: x.finishReason })),
          prompt_logprobs: null,
          type: 'sample',
        };
      }, sp.seqs, seq);
    },
  };

  async function retrieve(b: Json, fault: TinkerFault, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const id = asString(b['request_id'], 'request_id');
    if (!futures.has(id)) throw new WireError(404, `request ${id} is unknown`);
    if (fault === 'try_again') return send(res, 200, { type: 'try_again', request_id: id, queue_state: 'active' });
    if (fault === 'http408') return send(res, 408, { type: 'try_again', request_id: id, queue_state: 'active' });
    if (fault === 'http410') {
      futures.forget(id);
      return send(res, 410, { detail: `promise ${id} lost; resubmit the request with the same seq_id` });
    }
    const o = await futures.wait(id, longPollMs, signal);
    if (o === undefined) return send(res, 410, { detail: `promise ${id} lost; resubmit the request with the same seq_id` });
    if (o === null) return send(res, 200, { type: 'try_again', request_id: id, queue_state: 'active' });
    if (o.ok) return send(res, 200, o.value);
    return send(res, 200, { type: 'request_failed', error: o.error, category: o.category });
  }




  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/api\/v1\/([a-z_]+)\/?$/.exec(url.pathname);
    if (!m) return send(res, 404, { detail: `no Tinker route ${url.pathname}` });
    const route = m[1]!;
    if (route === 'healthz') return send(res, 200, { status: 'ok' });
    if (!authorised(req, opts.apiKey)) return send(res, 401, { detail: 'missing or wrong X-API-Key' });
    if (route === 'get_server_capabilities') {
      const cfg = maxContext ??= readModelConfig(modelDir).maxPositionEmbeddings;
      return send(res, 200, {
        supported_models: [{ model_name: modelName, max_context_length: cfg }],
        longrl: { api: SDK_COMPAT, normalize, ignores_grad_clip: !!opts.ignoreGradClip, extensions: ['mask'] },
      });
    }
    const fault = faults.next(route);
    if (fault === 'http429') return send(res, 429, { detail: 'injected: too many requests' });
    if (fault === 'http500') return send(res, 500, { detail: 'injected: internal error' });
    if (fault === 'drop') {
      req.socket.destroy();
      return;
    }
    const body = await readJsonBody(req, maxBody);
    if (route === 'retrieve_future') {
      const ac = new AbortController();
      const stop = () => ac.abort();
      res.on('close', stop);
      abort.signal.addEventListener('abort', stop, { once: true });
      try {
        return await retrieve(body, fault, res, ac.signal);
      } finally {
        abort.signal.removeEventListener('abort', stop);
      }
    }
    const handler = routes[route];
    if (!handler) return send(res, 404, { detail: `unknown Tinker route /api/v1/${route}` });
    const reply = await handler(body);
    if (fault === 'duplicate') await handler(body);
    if (fault === 'drop_after') {
      req.socket.destroy();
      return;
    }
    send(res, 200, reply);
  }

  return {
    faults,
    applied,
    stateDir,
    handleTinkerRequest(req, res) {
      handle(req, res).catch((e: unknown) => {
        if (e instanceof WireError) return send(res, e.status, { detail: e.message });
        if (e instanceof UserError) return send(res, 400, { detail: e.message });
        log(`tinker: ${(e as Error).stack ?? String(e)}`);
        send(res, 500, { detail: (e as Error).message });
      });
    },
    close() {
      clearInterval(reaper);
      abort.abort();
      futures.close();
      sessions.clear();
      models.clear();
      samplers.clear();
      if (ownsStateDir) rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
