/**
 * Futures of the Tinker API: every mutating call answers `{request_id}` at once and its
 * result is fetched with `retrieve_future`, a long poll that holds until the result is ready
 * or `holdMs` passes (then `{type: "try_again"}`; remote-backends.md §1 "Futures").
 */

export type FutureOutcome =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; status: number; error: string; category: 'User' | 'Server' };

interface Entry {
  outcome: FutureOutcome | null;
  waiters: (() => void)[];
}

export class FutureStore {
  private readonly entries = new Map<string, Entry>();
  private next = 0;

  /** A new pending future's id. */
  create(): string {
    const id = `req-${++this.next}`;
    this.entries.set(id, { outcome: null, waiters: [] });
    return id;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  resolve(id: string, outcome: FutureOutcome): void {
    const e = this.entries.get(id);
    if (!e || e.outcome) return;
    e.outcome = outcome;
    for (const w of e.waiters.splice(0)) w();
  }

  /** Forgets a future (the fault "promise lost": the client must resubmit). */
  forget(id: string): void {
    const e = this.entries.get(id);
    this.entries.delete(id);
    if (e) for (const w of e.waiters.splice(0)) w();
  }

  /** Waits up to `holdMs` for the outcome; null = still pending; undefined = unknown id. */
  async wait(id: string, holdMs: number, signal?: AbortSignal): Promise<FutureOutcome | null | undefined> {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (e.outcome || holdMs <= 0) return e.outcome;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, holdMs);
      e.waiters.push(done);
      signal?.addEventListener('abort', done);
    });
    const now = this.entries.get(id);
    return now ? now.outcome : undefined;
  }

  close(): void {
    for (const e of this.entries.values()) for (const w of e.waiters.splice(0)) w();
  }
}
