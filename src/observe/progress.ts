/**
 * Progress bars for long phases (sampling, SFT epochs, evaluation) and a one-line summary
 * per optimizer step.
 *
 * On a terminal the bar redraws one line on stderr (`\r` + erase to end of line), at
 * most every `redrawMs`. Elsewhere (CI logs, files) it prints a full line each time
 * another `everyPercent` of the work is done or `everySeconds` have passed, so logs
 * stay readable and short. Rate and ETA come from the average rate since the start.
 */

/** Where progress is written: a stream with an optional TTY flag. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  /** Terminal width; a redrawn line is cut to fit so it never wraps. */
  columns?: number;
}

export interface ProgressOptions {
  /** Short name of the phase, e.g. `sft epoch 1` or `sample stage 2`. */
  label: string;
  /** Total units of work; unknown totals show count and rate only. */
  total?: number;
  /** Unit name for the rate (default `it`). */
  unit?: string;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Redraw in place (default: the stream's isTTY). */
  tty?: boolean;
  /** Clock in milliseconds (default Date.now); injectable for tests. */
  now?: () => number;
  /** Non-TTY: print every this many percent of the total (default 10). */
  everyPercent?: number;
  /** Non-TTY: print at least this often while work advances (default 10 s). */
  everySeconds?: number;
  /** TTY: redraw at most this often (default 100 ms). */
  redrawMs?: number;
  /** Bar width in characters (default 24). */
  barWidth?: number;
}

/** `12s`, `3m05s`, `1h02m`, `2d03h`; `?` for unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

/** Seconds for humans: `0.255s`, `12.3s` under a minute, then as formatDuration. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds >= 59.95) return formatDuration(seconds);
  if (seconds === 0) return '0s';
  return `${Number.parseFloat(seconds.toPrecision(3))}s`;
}

/** A rate as `3.21 it/s`, or `4.5 s/it` when slower than one unit per second. */
export function formatRate(perSecond: number, unit = 'it'): string {
  if (!Number.isFinite(perSecond) || perSecond <= 0) return `? ${unit}/s`;
  if (perSecond < 1) return `${sig(1 / perSecond)} s/${unit}`;
  return `${sig(perSecond)} ${unit}/s`;
}

function sig(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export interface ProgressState {
  label: string;
  done: number;
  total?: number;
  elapsedS: number;
  unit?: string;
  barWidth?: number;
  note?: string;
  finished?: boolean;
}

/** One progress line (pure): label, bar, count, percent, rate, elapsed, ETA, note. */
export function formatProgress(st: ProgressState): string {
  const unit = st.unit ?? 'it';
  const rate = st.elapsedS > 0 ? st.done / st.elapsedS : Number.NaN;
  const parts: string[] = [st.label];
  if (st.total !== undefined && st.total > 0) {
    const frac = Math.min(1, Math.max(0, st.done / st.total));
    const width = st.barWidth ?? 24;
    const full = Math.floor(frac * width);
    parts.push(`[${'#'.repeat(full)}${'.'.repeat(width - full)}]`);
    parts.push(`${st.done}/${st.total}`, `${Math.floor(frac * 100)}%`);
  } else {
    parts.push(`${st.done} ${unit}`);
  }
  parts.push(formatRate(rate, unit));
  parts.push(`elapsed ${formatDuration(st.elapsedS)}`);
  if (!st.finished && st.total !== undefined && st.total > 0) {
    const eta = st.done > 0 ? (st.total - st.done) / rate : Number.NaN;
    parts.push(`ETA ${formatDuration(eta)}`);
  }
  if (st.note) parts.push(st.note);
  return parts.join('  ');
}

/** A progress bar for one phase. */
export class ProgressBar {
  private done = 0;
  private note = '';
  private readonly start: number;
  private lastPrint: number;
  private lastPercent = 0;
  private finished = false;
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly now: () => number;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = opts.tty ?? this.stream.isTTY === true;
    this.now = opts.now ?? Date.now;
    this.start = this.now();
    this.lastPrint = this.start;
    if (this.tty) this.draw();
  }

  /** Adds `n` units of work (default 1); `note` replaces the trailing note. */
  tick(n = 1, note?: string): void {
    this.set(this.done + n, note);
  }

  /** Sets the amount of work done. */
  set(done: number, note?: string): void {
    if (this.finished) return;
    this.done = done;
    if (note !== undefined) this.note = note;
    const t = this.now();
    if (this.tty) {
      if (t - this.lastPrint >= (this.opts.redrawMs ?? 100)) this.draw(t);
      return;
    }
    const total = this.opts.total;
    const step = this.opts.everyPercent ?? 10;
    const pct = total !== undefined && total > 0 ? Math.floor((100 * this.done) / total / step) * step : 0;
    const due = t - this.lastPrint >= (this.opts.everySeconds ?? 10) * 1000;
    if ((pct > this.lastPercent && pct < 100) || due) {
      this.lastPercent = Math.max(this.lastPercent, pct);
      this.draw(t);
    }
  }

  /**
   * Prints other output while the bar is on screen (a step summary, a warning): on a
   * terminal the bar's line is cleared first and redrawn after, so the two never mix.
   */
  interrupt(write: () => void): void {
    if (!this.tty || this.finished) {
      write();
      return;
    }
    this.stream.write('\r\x1b[K');
    write();
    this.draw();
  }

  /** Prints the final line (always, TTY or not) and ends the bar. */
  finish(note?: string): void {
    if (this.finished) return;
    if (note !== undefined) this.note = note;
    this.finished = true;
    this.draw(this.now());
    if (this.tty) this.stream.write('\n');
  }

  /** The current line, as it would be printed. */
  line(t: number = this.now()): string {
    const st: ProgressState = {
      label: this.opts.label,
      done: this.done,
      elapsedS: (t - this.start) / 1000,
      finished: this.finished,
    };
    if (this.opts.total !== undefined) st.total = this.opts.total;
    if (this.opts.unit !== undefined) st.unit = this.opts.unit;
    if (this.opts.barWidth !== undefined) st.barWidth = this.opts.barWidth;
    if (this.note) st.note = this.note;
    return formatProgress(st);
  }

  private draw(t: number = this.now()): void {
    this.lastPrint = t;
    let text = this.line(t);
    const cols = this.stream.columns;
    if (this.tty && cols !== undefined && cols > 1 && text.length > cols - 1) text = text.slice(0, cols - 1);
    this.stream.write(this.tty ? `\r${text}\x1b[K` : `${text}\n`);
  }
}
