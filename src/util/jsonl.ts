/**
 * JSON Lines reading and appending. Reading reports the file and 1-based line of a
 * malformed line; appending writes whole lines only (one write call per line), so a
 * killed process leaves at most one torn last line, which `readJsonl` can skip with
 * `allowTornTail` when resuming.
 */
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { UserError } from './errors.ts';

export interface JsonlLine<T> {
  value: T;
  /** 1-based line number in the file. */
  line: number;
}

export interface ReadJsonlOptions {
  /** Ignore a last line that is not terminated by a newline and does not parse (a torn write). */
  allowTornTail?: boolean;
}

/** Reads every non-empty line of a JSONL file. */
export function readJsonl<T = unknown>(path: string, opts: ReadJsonlOptions = {}): JsonlLine<T>[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${path}: ${(err as Error).message}`);
  }
  const lines = text.split('\n');
  const out: JsonlLine<T>[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    try {
      out.push({ value: JSON.parse(raw) as T, line: i + 1 });
    } catch (err) {
      const isTail = i === lines.length - 1 && !text.endsWith('\n');
      if (isTail && opts.allowTornTail) break;
      throw new UserError(`${path}:${i + 1}: malformed JSON line: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Appends one JSON value as a line. */
export function appendJsonl(path: string, value: unknown): void {
  appendFileSync(path, `${JSON.stringify(value)}\n`);
}

/**
 * An append-only JSONL writer that keeps the file open and fsyncs on `flush()`.
 * Before appending to an existing file it drops a torn (unterminated) last line.
 */
export class JsonlWriter {
  private fd: number;

  constructor(readonly path: string) {
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      if (text.length > 0 && !text.endsWith('\n')) {
        const keep = text.slice(0, text.lastIndexOf('\n') + 1);
        this.fd = openSync(path, 'w');
        writeSync(this.fd, keep);
        return;
      }
    }
    this.fd = openSync(path, 'a');
  }

  write(value: unknown): void {
    writeSync(this.fd, `${JSON.stringify(value)}\n`);
  }

  flush(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}
