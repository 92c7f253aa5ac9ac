/**
 * `stream: true` responses: Server-Sent Events written as the tokens are decoded
 * (stream.ts), one chunk per token and choice, then `data: [DONE]`. The text of each
 * choice is released as far as it is certain: bytes of an unfinished UTF-8 character and
 * the last (longest stop − 1) characters, which a stop string may still claim, are held
 * back; the final text is exactly the unstreamed response's (stop string cut).
 */
import type { ServerResponse } from 'node:http';
import type { ServeModel } from './model.ts';
import { chatLogprobs, completionLogprobs, cutAtStop, usage, type Choice, type Meta } from './format.ts';
import { decodeLoop, type LoopResult, type StepEvent } from './stream.ts';
import type { GenParams } from './params.ts';

interface ChoiceState {
  index: number;
  tokens: number[];
  committed: string;
  base: number;
  sent: number;
}

export interface StreamRequest {
  prompts: number[][];
  g: GenParams;
  maxTokens: number;
  seed: number;
  meta: Meta;
  chat: boolean;
  /** Text sent before each prompt's choices (completions `echo`). */
  echo: string[];
  eosTokenIds: number[];
  /** Most rows decoded together. */
  maxRows: number;
}

export async function streamResponse(res: ServerResponse, model: ServeModel, r: StreamRequest): Promise<LoopResult[]> {
  const { g, meta, chat } = r;
  const head = { id: meta.id, object: chat ? 'chat.completion.chunk' : 'text_completion', created: meta.created, model: meta.model };
  let gone = false;
  res.on('close', () => { gone = true; });
  const send = (obj: unknown) => { if (!gone) res.write(`data: ${JSON.stringify(obj)}\n\n`); };
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const hold = Math.max(0, ...g.stop.map((s) => s.length - 1));
  const states: ChoiceState[][] = r.prompts.map((_, pi) => Array.from({ length: g.n }, (_, j) => ({ index: pi * g.n + j, tokens: [], committed: '', base: 0, sent: 0 })));
  r.prompts.forEach((_, pi) => {
    for (const st of states[pi]!) {
      if (chat) send({ ...head, choices: [{ index: st.index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
      else if (r.echo[pi]) send({ ...head, choices: [{ index: st.index, text: r.echo[pi], logprobs: null, finish_reason: null }] });
    }
  });
  const onEvent = (ev: StepEvent) => {
    const st = states[ev.prompt]![ev.sample]!;
    st.tokens.push(ev.token);
    const tail = model.decode(st.tokens.slice(st.base));
    let pending = '';
    if (tail.endsWith('\uFFFD') && ev.finish === null) pending = tail;
    else { st.committed += tail; st.base = st.tokens.length; }
    let piece: string;
    let finish: string | null = null;
    if (ev.finish !== null) {
      const cut = cutAtStop(model.decode(st.tokens), g.stop);
      piece = cut.text.slice(st.sent);
      finish = cut.stopped ? 'stop' : ev.finish;
    } else {
      let safe = pending ? st.committed.length : st.committed.length - hold;
      for (const s of g.stop) {
        const at = st.committed.indexOf(s, Math.max(0, st.sent - s.length));
        if (at >= 0) safe = Math.min(safe, at);
      }
      piece = st.committed.slice(st.sent, Math.max(st.sent, safe));
    }
    st.sent += piece.length;
    const one: Choice = {
      index: st.index, prompt: r.prompts[ev.prompt]!, text: piece, finishReason: 'length', alts: ev.alts ? [ev.alts] : g.logprobs !== null ? [[]] : null,
      seq: { tokens: [ev.token], logprobs: [ev.logprob], finishReason: 'length' },
    };
    const lp = meta.logprobs ? (chat ? chatLogprobs(model, one) : completionLogprobs(model, one)) : null;
    const ids = meta.returnTokenIds ? { token_ids: [ev.token] } : {};
    send({ ...head, choices: [chat
      ? { index: st.index, delta: { content: piece }, logprobs: lp, finish_reason: finish, ...ids }
      : { index: st.index, text: piece, logprobs: lp, finish_reason: finish, ...ids }] });
  };
  const all = await decodeLoop(model.policy.model, r.prompts.map((ids, label) => ({ ids, seed: r.seed, label, topLogprobs: g.logprobs ?? 0 })), {
    n: g.n, temperature: g.temperature, topP: g.topP, topK: g.topK, maxTokens: r.maxTokens,
    stopTokenIds: r.eosTokenIds, ...(g.stop.length > 0 ? { stopStrings: g.stop } : {}),
  }, {
    ...(model.tokenizer ? { decode: (ids: readonly number[]) => model.tokenizer!.decode(ids) } : {}), maxRows: r.maxRows, aborted: () => gone,
    onStep: (events) => { for (const ev of events) onEvent(ev); },
  });
  const finished: Choice[] = [];
  all.forEach((grp, pi) => grp.seqs.forEach((seq, j) => finished.push({ index: pi * g.n + j, prompt: r.prompts[pi]!, seq, text: '', finishReason: seq.finishReason, alts: null })));
  if (g.includeUsage) send({ ...head, choices: [], usage: usage(finished) });
  if (!gone) res.end('data: [DONE]\n\n');
  return all;
}
