/**
 * Reads a JSON request body with a size cap and a deadline, so that an oversized body
 * (413) or a client that sends its body slowly or never finishes it (slow loris, 408)
 * costs the server bounded memory and time.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.ts';

export interface BodyLimits {
  maxBytes: number;
  timeoutMs: number;
}

export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      reject(new ApiError(413, `request body of ${declared} bytes exceeds the limit of ${limits.maxBytes} bytes`, 'invalid_request_error', null, 'body_too_large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err: ApiError | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) {
        req.resume(); // drain and drop whatever else arrives
        reject(err);
      } else resolve(Buffer.concat(chunks));
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limits.maxBytes) finish(new ApiError(413, `request body exceeds the limit of ${limits.maxBytes} bytes`, 'invalid_request_error', null, 'body_too_large'));
      else chunks.push(c);
    };
    const onEnd = () => finish(null);
    const onError = () => finish(new ApiError(400, 'the request body could not be read (connection error)'));
    const timer = setTimeout(
      () => finish(new ApiError(408, `the request body did not arrive within ${limits.timeoutMs} ms`, 'invalid_request_error', null, 'request_timeout')),
      limits.timeoutMs,
    );
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Parses a body as a JSON object (400 otherwise). */
export function parseJsonObject(buf: Buffer): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new ApiError(400, `the request body is not valid JSON: ${(e as Error).message}`, 'invalid_request_error', null, 'invalid_json');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ApiError(400, 'the request body must be a JSON object', 'invalid_request_error', null, 'invalid_json');
  return v as Record<string, unknown>;
}
