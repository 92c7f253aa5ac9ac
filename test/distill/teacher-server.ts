/**
 * A real OpenAI-compatible teacher on 127.0.0.1 for the distill tests. The test gives a
 * plan per request (keyed by the record's question, recovered from the QwenLong prompt):
 * the replies to return, how to format the reasoning (`reasoning_content` as vLLM/DeepSeek
 * return it, a `<think>` block in `content`, or only the closing `</think>` when the chat
 * template opened the block), finish reasons, a delay, and faults for the first k requests
 * of that question: 429 (with Retry-After: 0), 500, a dropped connection, a malformed
 * (non-JSON) 200, a 400, a reply after 4 s (past the client's timeout). Every request is
 * counted per question. With `judge`, requests with a system message are answered as the
 * LLM judge (`[[YES]]` when `judge(answer1, answer2)` says so).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parsePrompt } from '../../src/data/prompt.ts';

export type Format = 'rc' | 'think' | 'close' | 'none';
export type FaultMode = '429' | '500' | 'drop' | 'malformed' | '400' | 'slow';

export interface ReplySpec {
  reasoning: string;
  answer: string;
  format: Format;
  finish?: 'stop' | 'length';
}

export interface Plan {
  replies: ReplySpec[];
  /** Fail the first `times` requests of this question with `mode`. */
  fault?: { mode: FaultMode; times: number };
  delayMs?: number;
  /** Return one choice per request whatever `n` says (hosted APIs): the i-th request gets replies[i]. */
  ignoreN?: boolean;
}

export interface TeacherServer {
  url: string;
  /** Requests per question. */
  perQuestion: Map<string, number>;
  /** Questions in arrival order (one per request). */
  log: string[];
  bodies: Record<string, unknown>[];
  requests: () => number;
  /** Judge requests answered. */
  judgeRequests: () => number;
  maxConcurrent: () => number;
  close: () => Promise<void>;
}

const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;

function message(r: ReplySpec): Record<string, unknown> {
  if (r.format === 'rc') return { role: 'assistant', content: r.answer, reasoning_content: r.reasoning };
  if (r.format === 'think') return { role: 'assistant', content: `<think>\n${r.reasoning}\n</think>\n\n${r.answer}` };
  if (r.format === 'close') return { role: 'assistant', content: `${r.reasoning}\n</think>\n\n${r.answer}` };
  return { role: 'assistant', content: r.answer };
}

export async function startTeacherServer(plan: (question: string, content: string) => Plan, judge?: (a1: string, a2: string) => boolean): Promise<TeacherServer> {
  const perQuestion = new Map<string, number>();
  const log: string[] = [];
  const bodies: Record<string, unknown>[] = [];
  let total = 0;
  let judgeCalls = 0;
  let active = 0;
  let maxActive = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as { messages: { role?: string; content: string }[]; n?: number };
      if (judge && body.messages[0]?.role === 'system') {
        const user = body.messages[1]?.content ?? '';
        const a1 = /\nAnswer 1: (.*)\n/.exec(user)?.[1] ?? '';
        const a2 = /\nAnswer 2: (.*)\n/.exec(user)?.[1] ?? '';
        const verdict = judge(a1, a2) ? 'Same meaning. [[YES]]' : 'Different. [[NO]]';
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: verdict }, finish_reason: 'stop' }] }));
        judgeCalls++;
        return;
      }
      total++;
      active++;
      maxActive = Math.max(maxActive, active);
      let released = false;
      const release = (): void => {
        if (!released) {
          released = true;
          active--;
        }
      };
      res.on('close', release);
      bodies.push(body as unknown as Record<string, unknown>);
      const question = parsePrompt(body.messages[0]?.content ?? '')?.question ?? '';
      const k = (perQuestion.get(question) ?? 0) + 1;
      perQuestion.set(question, k);
      log.push(question);
      const p = plan(question, body.messages[0]?.content ?? '');
      const respond = (): void => {
        if (p.fault && k <= p.fault.times) {
          const m = p.fault.mode;
          if (m === 'drop') {
            res.socket?.destroy();
            return;
          }
          if (m === 'slow') {
            setTimeout(() => res.destroyed || res.end('{}'), 4000).unref();
            return;
          }
          if (m === 'malformed') {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"choices": [ {"message": ');
            return;
          }
          const status = Number(m);
          res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '0' } : {}) });
          res.end(JSON.stringify({ error: { message: `injected ${m}`, type: 'test' } }));
          return;
        }
        const n = body.n ?? 1;
        const served = k - (p.fault?.times ?? 0) - 1;
        const chosen = p.ignoreN ? [p.replies[served % p.replies.length] as ReplySpec] : p.replies.slice(0, n);
        const choices = chosen.map((r, index) => ({ index, message: message(r), finish_reason: r.finish ?? 'stop' }));
        const completion = chosen.reduce((a, r) => a + words(r.reasoning) + words(r.answer), 0);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({
          id: `cmpl-${total}`, object: 'chat.completion', model: 'test-teacher', choices,
          usage: { prompt_tokens: words(body.messages[0]?.content ?? ''), completion_tokens: completion, total_tokens: 0 },
        }));
      };
      if (p.delayMs) setTimeout(respond, p.delayMs);
      else respond();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    perQuestion,
    log,
    bodies,
    requests: () => total,
    judgeRequests: () => judgeCalls,
    maxConcurrent: () => maxActive,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
