/** HTTP plumbing of the Tinker service: JSON replies, bounded JSON bodies, the API key check. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { WireError, asObject, type Json } from './wire.ts';

export function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...(status === 429 ? { 'retry-after': '0' } : {}) });
  res.end(text);
}

export function readJsonBody(req: IncomingMessage, maxBody: number): Promise<Json> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) {
        reject(new WireError(413, `request body over ${maxBody} bytes; split the batch`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolveBody({});
      try {
        const v = JSON.parse(text) as unknown;
        resolveBody(asObject(v, 'request body'));
      } catch (e) {
        reject(e instanceof WireError ? e : new WireError(400, `request body is not JSON (this server speaks the JSON API of Tinker SDK <= 0.24; protobuf bodies are not supported)`));
      }
    });
    req.on('error', reject);
  });
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** `X-API-Key` (Tinker SDKs) or `Authorization: Bearer` equal to the key; always true without one. */
export function authorised(req: IncomingMessage, apiKey: string | undefined): boolean {
  if (!apiKey) return true;
  const key = req.headers['x-api-key'];
  const bearer = /^Bearer (.+)$/.exec(req.headers['authorization'] ?? '')?.[1];
  const same = (x: unknown) => typeof x === 'string' && timingSafeEqual(digest(x), digest(apiKey));
  return same(key) || same(bearer);
}
