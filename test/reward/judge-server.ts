/**
 * A real OpenAI-compatible judge server on 127.0.0.1 that injects faults, for the judge
 * and CLI tests. The user message's problem line selects the behaviour:
 * `Problem: fault=<mode>;n=<k>` fails the first k requests of that exact request with
 * <mode>, then answers; any other problem answers at once. The answer is `[[YES]]` when
 * Answer 1 and Answer 2 are equal ignoring case, else `[[NO]]`.
 *
 * Modes: slow (reply after 30 s, i.e. past any test timeout), 429 (no Retry-After), 429ra (Retry-After: 1), 500,
 * drop (socket destroyed), malformed (non-JSON 200), nochoices (JSON without choices),
 * 400, noverdict (200 with a reply lacking a verdict, every time), yesword (an explanation
 * containing "YES" then [[NO]], every time).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JudgeServer {
  url: string;
  /** Every parsed request body, in arrival order. */
  bodies: Record<string, unknown>[];
  /** Highest number of requests handled at once. */
  maxConcurrent: () => number;
  requests: () => number;
  close: () => Promise<void>;
}

function reply(res: ServerResponse, content: string): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
}

export async function startJudgeServer(opts: { delayMs?: number } = {}): Promise<JudgeServer> {
  const seen = new Map<string, number>();
  const bodies: Record<string, unknown>[] = [];
  let active = 0;
  let maxActive = 0;
  let total = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(404);
        res.end();
        return;
      }
      total++;
      active++;
      maxActive = Math.max(maxActive, active);
      let done = false;
      const finish = (): void => {
        if (!done) {
          done = true;
          active--;
        }
      };
      res.on('close', finish);
      const body = JSON.parse(raw) as { messages: { content: string }[] };
      bodies.push(body as unknown as Record<string, unknown>);
      const user = body.messages[1]?.content ?? '';
      const problem = /\nProblem: (.*)\n/.exec(user)?.[1] ?? '';
      const a1 = /\nAnswer 1: (.*)\n/.exec(user)?.[1] ?? '';
      const a2 = /\nAnswer 2: (.*)\n/.exec(user)?.[1] ?? '';
      const m = /fault=(\w+);n=(\d+)/.exec(problem);
      const count = (seen.get(user) ?? 0) + 1;
      seen.set(user, count);
      const answer = (): void => {
        const same = a1.trim().toLowerCase() === a2.trim().toLowerCase();
        setTimeout(() => reply(res, same ? 'They match. [[YES]]' : 'They differ. [[NO]]'), opts.delayMs ?? 0);
      };
      if (!m) return answer();
      const mode = m[1] as string;
      if (mode === 'noverdict') return reply(res, 'I cannot tell.');
      if (mode === 'yesword') return reply(res, 'YES, both mention a year, but the years differ. [[NO]]');
      if (count > Number(m[2])) return answer();
      switch (mode) {
        case 'slow': {
          const t = setTimeout(() => reply(res, '[[YES]]'), 30_000);
          res.on('close', () => clearTimeout(t));
          return;
        }
        case '429': res.writeHead(429); res.end('slow down'); return;
        case '429ra': res.writeHead(429, { 'retry-after': '1' }); res.end('slow down'); return;
        case '500': res.writeHead(500); res.end('boom'); return;
        case '400': res.writeHead(400); res.end('bad request'); return;
        case 'drop': req.socket.destroy(); return;
        case 'malformed': res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"choices": [ oops'); return;
        case 'nochoices': res.writeHead(200, { 'content-type': 'application/json' }); res.end('{"object":"chat.completion"}'); return;
      }
      answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    bodies,
    maxConcurrent: () => maxActive,
    requests: () => total,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
