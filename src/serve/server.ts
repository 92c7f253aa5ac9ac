/**
 * `longrl serve`: an OpenAI-compatible HTTP server (node:http) over a local model folder.
 *
 * Routes: `GET /health`, `GET /stats` (batching counters), `GET /v1/models`,
 * `GET /v1/models/{id}`, `POST /v1/completions`, `POST /v1/chat/completions`; with
 * `tinker`, everything under `/api/v1/` goes to the Tinker-compatible service.
 * Every failure is answered with an OpenAI error body and the right 4xx/5xx status;
 * nothing a client sends can crash the process.
 *
 * Unstreamed requests go through the batching scheduler; `stream: true` requests decode
 * token by token (sse.ts). The engine loop (stream.ts) yields to the event loop between
 * decode steps, so the server keeps answering while it generates.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { UserError } from '../util/errors.ts';
import { ApiError, sendError, sendJson } from './errors.ts';
import { parseJsonObject, readBody } from './body.ts';
import { parseGenParams, parseMessages, parsePrompts, type GenParams, type RequestLimits } from './params.ts';
import { BatchScheduler, QueueFullError, type SchedulerStats } from './scheduler.ts';
import { ServeModel, type ServeModelOptions } from './model.ts';
import type { LoraOptions } from '../model/lora.ts';
import { chatResponse, completionResponse, cutAtStop, type Choice, type Meta } from './format.ts';
import { streamResponse } from './sse.ts';
import { decodeLoop } from './stream.ts';

export interface ServerOptions extends ServeModelOptions {
  /** Model folder (Hugging Face layout). */
  model: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1; a non-loopback host needs `apiKey`. */
  host?: string;
  /** Required as `Authorization: Bearer KEY` on every route but /health. */
  apiKey?: string;
  /** Batching window in ms (default 5). */
  batchWindowMs?: number;
  /** Most sample rows (prompts × n) in one engine call (default 64). */
  maxBatchRows?: number;
  /** Requests waiting for the engine at most; more get 429 (default 1024). */
  maxQueue?: number;
  /** Largest request body (default 8 MiB). */
  maxBodyBytes?: number;
  /** Time for a request body to arrive (default 30 s). */
  bodyTimeoutMs?: number;
  /** Most samples per prompt (default 64). */
  maxN?: number;
  /** max_tokens when a request gives none (default 256; completions: 16, as OpenAI). */
  defaultMaxTokens?: number;
  /** Seed of unseeded sampling calls (default 0). */
  seed?: number;
  /** Mount the Tinker-compatible API under /api/v1/. */
  tinker?: boolean;
}

export interface RunningServer {
  url: string;
  server: Server;
  model: ServeModel;
  stats: () => SchedulerStats & { httpErrors: number };
  close(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|\[::1\])$/;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

interface TinkerService {
  handleTinkerRequest(req: IncomingMessage, res: ServerResponse): unknown;
  close?(): void;
}

/**
 * The Tinker-compatible API of src/serve/tinker/ (another module of the package), loaded
 * only with `--tinker` so that a build without it still serves the OpenAI routes.
 */
async function loadTinker(modelDir: string, o: { name: string; threads?: number; apiKey?: string }): Promise<TinkerService> {
  const url = new URL('./tinker/index.ts', import.meta.url);
  if (!existsSync(url)) throw new UserError('--tinker: the Tinker-compatible API is not available in this build (src/serve/tinker/ is missing)');
  const mod = (await import(url.href)) as { createTinkerService?: (o: unknown) => TinkerService };
  if (typeof mod.createTinkerService !== 'function') throw new UserError('--tinker: the Tinker-compatible API is not available in this build (no createTinkerService)');
  const { LocalPolicy } = await import('../policy/local.ts');
  return mod.createTinkerService({
    modelDir, modelName: o.name,
    policyFactory: (p: { lora: LoraOptions | null }) => LocalPolicy.fromFolder(modelDir, { lora: p.lora, ...(o.threads !== undefined ? { threads: o.threads } : {}) }),
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    ...(o.apiKey ? { apiKey: o.apiKey } : {}),
  });
}

/** Starts the server; resolves once it listens. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host) && !opts.apiKey) throw new UserError(`serve: listening on ${host} (not loopback) needs --api-key`);
  const model = new ServeModel(opts.model, opts);
  const tinker = opts.tinker
    ? await loadTinker(opts.model, { name: model.name, ...(opts.threads !== undefined ? { threads: opts.threads } : {}), ...(opts.apiKey ? { apiKey: opts.apiKey } : {}) })
    : null;
  const limits: RequestLimits = {
    maxModelLen: model.maxModelLen, maxN: opts.maxN ?? 64, maxPrompts: 64, defaultMaxTokens: opts.defaultMaxTokens ?? 256, vocabSize: model.vocabSize,
  };
  const stopDecode = model.tokenizer ? { decode: (ids: readonly number[]) => model.tokenizer!.decode(ids) } : {};
  const maxRows = opts.maxBatchRows ?? 64;
  const scheduler = new BatchScheduler((p, s) => decodeLoop(model.policy.model, p, s, { ...stopDecode, maxRows }), {
    windowMs: opts.batchWindowMs ?? 5, maxRowsPerCall: maxRows, baseSeed: opts.seed ?? 0, maxQueue: opts.maxQueue ?? 1024,
  });
  let httpErrors = 0;
  const bodyLimits = { maxBytes: opts.maxBodyBytes ?? 8 * 1024 * 1024, timeoutMs: opts.bodyTimeoutMs ?? 30_000 };

  const checkModel = (body: Record<string, unknown>) => {
    const m = body['model'];
    if (m === undefined || m === null) return;
    if (typeof m !== 'string') throw new ApiError(400, 'model: must be a string', 'invalid_request_error', 'model', 'invalid_value');
    if (m !== model.name && m !== opts.model) throw new ApiError(404, `The model \`${m}\` does not exist (this server serves \`${model.name}\`)`, 'invalid_request_error', 'model', 'model_not_found');
  };

  /** Prompts fit the context; stop strings have a tokenizer to match them. */
  const checkPrompts = (prompts: number[][], g: GenParams, maxTokens: number) => {
    for (const p of prompts) {
      if (p.length === 0) throw new ApiError(400, 'prompt: the prompt is empty (0 tokens)', 'invalid_request_error', 'prompt', 'invalid_value');
      if (p.length + maxTokens > model.maxModelLen) {
        throw new ApiError(400, `This model's maximum context length is ${model.maxModelLen} tokens. However, you requested ${p.length + maxTokens} tokens (${p.length} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`, 'invalid_request_error', 'messages', 'context_length_exceeded');
      }
    }
    if (g.stop.length > 0 && !model.tokenizer) throw new ApiError(400, 'stop: this model folder has no tokenizer, so stop strings cannot be matched', 'invalid_request_error', 'stop', 'invalid_value');
  };

  let activeStreams = 0;
  /** Samples the prompts and answers: SSE as tokens are decoded, or one JSON body. */
  const respond = async (res: ServerResponse, prompts: number[][], g: GenParams, maxTokens: number, submitted: () => void, m: Meta, chat: boolean, echo: string[]) => {
    checkPrompts(prompts, g, maxTokens);
    if (g.stream) {
      submitted();
      if (activeStreams >= (opts.maxQueue ?? 1024)) throw new QueueFullError(`${activeStreams} streams are running; retry later`);
      const seed = scheduler.seedFor(g.seed);
      const st = scheduler.stats;
      st.requests++;
      activeStreams++;
      let out;
      try {
        out = await streamResponse(res, model, { prompts, g, maxTokens, seed, meta: m, chat, echo, eosTokenIds: model.eosTokenIds, maxRows });
      } finally {
        activeStreams--;
      }
      for (const p of prompts) st.promptTokens += p.length;
      for (const grp of out) for (const q of grp.seqs) st.completionTokens += q.tokens.length;
      return;
    }
    const choices = await generate(prompts, g, maxTokens, submitted);
    sendJson(res, 200, chat ? chatResponse(model, m, choices) : completionResponse(model, m, choices, (c) => echo[Math.floor(c.index / g.n)] ?? ''));
  };

  /** Samples the prompts through the batching scheduler and builds the choices (stop strings cut, logprobs attached). */
  const generate = async (prompts: number[][], g: GenParams, maxTokens: number, submitted: () => void): Promise<Choice[]> => {
    const pending = scheduler.submit(prompts, {
      n: g.n, temperature: g.temperature, topP: g.topP, topK: g.topK, maxTokens, seed: g.seed, topLogprobs: g.logprobs ?? 0,
      stopTokenIds: model.eosTokenIds, ...(g.stop.length > 0 ? { stopStrings: g.stop } : {}),
    });
    submitted();
    const out = await pending;
    const choices: Choice[] = [];
    out.forEach((group, pi) => group.seqs.forEach((seq, j) => {
      const cut = cutAtStop(model.decode(seq.tokens), g.stop);
      const alts = group.alts[j] ?? null;
      choices.push({ index: pi * g.n + j, prompt: prompts[pi]!, seq, text: cut.text, finishReason: cut.stopped ? 'stop' : seq.finishReason, alts });
    }));
    return choices;
  };

  const completions = async (body: Record<string, unknown>, res: ServerResponse, submitted: () => void) => {
    checkModel(body);
    const g = parseGenParams(body, false, limits);
    const inputs = parsePrompts(body['prompt'], limits);
    if (inputs.some((p) => p.kind === 'text') && !model.tokenizer) throw new ApiError(400, 'prompt: this model folder has no tokenizer.json; send token ids', 'invalid_request_error', 'prompt', 'invalid_value');
    const prompts = inputs.map((p) => (p.kind === 'ids' ? p.ids : model.tokenizer!.encode(p.text)));
    const echo = body['echo'] === true ? inputs.map((p) => (p.kind === 'text' ? p.text : model.decode(p.ids))) : inputs.map(() => '');
    const m: Meta = { id: `cmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: model.name, logprobs: g.logprobs !== null, returnTokenIds: g.returnTokenIds };
    await respond(res, prompts, g, g.maxTokens ?? 16, submitted, m, false, echo);
  };

  const chat = async (body: Record<string, unknown>, res: ServerResponse, submitted: () => void) => {
    checkModel(body);
    const g = parseGenParams(body, true, limits);
    const messages = parseMessages(body['messages']);
    if (!model.tokenizer) throw new ApiError(400, 'this model folder has no tokenizer.json, so chat templates are unavailable; use /v1/completions with token ids', 'invalid_request_error', 'messages', 'invalid_value');
    const kw = body['chat_template_kwargs'] as Record<string, unknown> | undefined;
    const enableThinking = kw && typeof kw === 'object' && typeof kw['enable_thinking'] === 'boolean' ? (kw['enable_thinking'] as boolean) : undefined;
    let text: string;
    try {
      text = model.tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true, ...(enableThinking !== undefined ? { enableThinking } : {}) });
    } catch (e) {
      throw new ApiError(400, `messages: the chat template failed: ${(e as Error).message}`, 'invalid_request_error', 'messages', 'invalid_value');
    }
    const prompt = model.tokenizer.encode(text);
    const maxTokens = g.maxTokens ?? Math.max(1, Math.min(limits.defaultMaxTokens, model.maxModelLen - prompt.length));
    const m: Meta = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: model.name, logprobs: g.logprobs !== null, returnTokenIds: g.returnTokenIds };
    await respond(res, [prompt], g, maxTokens, submitted, m, true, ['']);
  };

  const modelCard = () => ({ id: model.name, object: 'model', created: 0, owned_by: 'longrl', root: model.name, max_model_len: model.maxModelLen });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (path === '/health') { sendJson(res, 200, { status: 'ok' }); return; }
    // The Tinker service checks the key itself (X-API-Key or Bearer, as Tinker clients send it).
    if (tinker && (path === '/api/v1' || path.startsWith('/api/v1/'))) { await tinker.handleTinkerRequest(req, res); return; }
    if (opts.apiKey && req.headers['authorization'] !== `Bearer ${opts.apiKey}`) {
      throw new ApiError(401, 'Incorrect or missing API key (send "Authorization: Bearer <key>")', 'invalid_request_error', null, 'invalid_api_key');
    }
    const method = req.method ?? 'GET';
    const allow = (m: string) => {
      if (method !== m) throw new ApiError(405, `method ${method} is not allowed on ${path} (use ${m})`, 'invalid_request_error', null, 'method_not_allowed');
    };
    if (path === '/stats') { allow('GET'); sendJson(res, 200, { ...scheduler.stats, httpErrors }); return; }
    if (path === '/v1/models') { allow('GET'); sendJson(res, 200, { object: 'list', data: [modelCard()] }); return; }
    if (path.startsWith('/v1/models/')) {
      allow('GET');
      const id = decodeURIComponent(path.slice('/v1/models/'.length));
      if (id !== model.name) throw new ApiError(404, `The model \`${id}\` does not exist`, 'invalid_request_error', 'model', 'model_not_found');
      sendJson(res, 200, modelCard());
      return;
    }
    if (path === '/v1/completions' || path === '/v1/chat/completions') {
      allow('POST');
      scheduler.arrive();
      let left = false;
      const leave = () => { if (!left) { left = true; scheduler.leave(); } };
      try {
        const body = parseJsonObject(await readBody(req, bodyLimits));
        if (path === '/v1/completions') await completions(body, res, leave);
        else await chat(body, res, leave);
      } finally {
        leave();
      }
      return;
    }
    throw new ApiError(404, `unknown route ${method} ${path}`, 'invalid_request_error', null, 'not_found');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      httpErrors++;
      const err = e instanceof ApiError ? e
        : e instanceof QueueFullError ? new ApiError(429, e.message, 'rate_limit_error', null, 'queue_full')
        : e instanceof UserError ? new ApiError(400, e.message)
        : new ApiError(500, `internal error: ${(e as Error)?.message ?? String(e)}`, 'server_error', null, 'internal_error');
      // After a body error the rest of the body is unread: close the connection.
      sendError(res, err, err.status === 413 || err.status === 408 ? { connection: 'close' } : {});
    });
  });
  server.headersTimeout = Math.max(1000, bodyLimits.timeoutMs);
  server.requestTimeout = 0; // generation may take long; the body deadline is ours
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}`,
    server,
    model,
    stats: () => ({ ...scheduler.stats, httpErrors }),
    close: () => new Promise<void>((resolve) => {
      tinker?.close?.();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
