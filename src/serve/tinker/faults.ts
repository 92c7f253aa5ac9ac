/**
 * Fault injection for tests of Tinker clients: a script per route, consumed one entry per
 * request. Faults model what clients meet in the wild (remote-backends.md §8.3).
 *
 * - `http429`, `http500`: answered with that status, the request is not processed.
 * - `drop`: the connection is destroyed before the request is processed.
 * - `drop_after`: the request is processed (its future registered), then the connection is
 *   destroyed before the reply: the client retries the same `seq_id`, the server dedupes.
 * - `duplicate`: the request is processed twice, as a replaying proxy would (deduped).
 * - `try_again` (retrieve_future): answers `{type: "try_again"}` at once, even when done.
 * - `http408` (retrieve_future): answers 408.
 * - `http410` (retrieve_future): the future is forgotten ("promise lost"); the client must
 *   resubmit the original request with the same `seq_id`.
 */

export type TinkerFault = 'none' | 'http429' | 'http500' | 'drop' | 'drop_after' | 'duplicate' | 'try_again' | 'http408' | 'http410';

/** Route name (e.g. `forward_backward`, `retrieve_future`) → faults for its next requests, in order. */
export type TinkerFaults = Record<string, readonly TinkerFault[]>;

export class FaultScript {
  private readonly queues = new Map<string, TinkerFault[]>();
  /** Faults injected so far, by `route:fault`. */
  readonly injected: Record<string, number> = {};

  constructor(faults: TinkerFaults = {}) {
    for (const [route, list] of Object.entries(faults)) this.queues.set(route, [...list]);
  }

  /** The fault for this request of `route` ('none' when its script is used up). */
  next(route: string): TinkerFault {
    const f = this.queues.get(route)?.shift() ?? 'none';
    if (f !== 'none') this.injected[`${route}:${f}`] = (this.injected[`${route}:${f}`] ?? 0) + 1;
    return f;
  }

  /** Appends faults to a route's script (tests add them between steps). */
  add(route: string, faults: readonly TinkerFault[]): void {
    const q = this.queues.get(route) ?? [];
    q.push(...faults);
    this.queues.set(route, q);
  }
}
