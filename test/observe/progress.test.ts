import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBar, formatDuration, formatProgress, formatRate, formatSeconds } from '../../src/observe/progress.ts';
import { formatMetric, formatStepSummary } from '../../src/observe/step-summary.ts';

/** A stream that records writes, and a clock the test moves by hand. */
function harness(tty: boolean) {
  const writes: string[] = [];
  let t = 1_000_000;
  return {
    writes,
    stream: { isTTY: tty, write: (s: string) => writes.push(s) },
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

test('durations, rates and numbers format as documented', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(59.4), '59s');
  assert.equal(formatDuration(185), '3m05s');
  assert.equal(formatDuration(3720), '1h02m');
  assert.equal(formatDuration(2 * 86400 + 3 * 3600), '2d03h');
  assert.equal(formatDuration(Number.NaN), '?');
  assert.deepEqual([0, 0.2554, 12.34, 59.99, 125].map(formatSeconds), ['0s', '0.255s', '12.3s', '1m00s', '2m05s']);
  assert.equal(formatRate(3.214, 'tok'), '3.21 tok/s');
  assert.equal(formatRate(0.2), '5.00 s/it');
  assert.equal(formatRate(1234.5), '1235 it/s');
  assert.equal(formatMetric(0.41234), '0.412');
  assert.equal(formatMetric(212), '212');
  assert.equal(formatMetric(0.0001234), '1.23e-4');
  assert.equal(formatMetric(12.3456), '12.3');
});

test('a progress line shows bar, count, percent, rate, elapsed and ETA', () => {
  const line = formatProgress({ label: 'sample', done: 25, total: 100, elapsedS: 10, unit: 'seq', barWidth: 8 });
  assert.equal(line, 'sample  [##......]  25/100  25%  2.50 seq/s  elapsed 10s  ETA 30s');
  const open = formatProgress({ label: 'eval', done: 7, elapsedS: 2 });
  assert.equal(open, 'eval  7 it  3.50 it/s  elapsed 2s');
});

test('non-TTY progress prints a line every 10% and at the end, with newlines', () => {
  const h = harness(false);
  const p = new ProgressBar({ label: 'sft', total: 50, stream: h.stream, now: h.now, everySeconds: 1e9, barWidth: 10 });
  for (let i = 0; i < 50; i++) {
    h.advance(100);
    p.tick();
  }
  p.finish();
  // 10%..90% (9 lines) plus the final line; every write is a whole line.
  assert.equal(h.writes.length, 10);
  assert.ok(h.writes.every((w) => w.endsWith('\n') && !w.includes('\r')));
  assert.equal(h.writes[0], 'sft  [#.........]  5/50  10%  10.0 it/s  elapsed 1s  ETA 5s\n');
  assert.equal(h.writes[9], 'sft  [##########]  50/50  100%  10.0 it/s  elapsed 5s\n');
});

test('non-TTY progress also prints when time passes without a new 10%', () => {
  const h = harness(false);
  const p = new ProgressBar({ label: 'gen', total: 1000, stream: h.stream, now: h.now, everySeconds: 5 });
  h.advance(6000);
  p.tick(1);
  h.advance(1000);
  p.tick(1);
  assert.equal(h.writes.length, 1);
  assert.match(h.writes[0]!, /1\/1000/);
});

test('TTY progress redraws one line with carriage return and erase, throttled', () => {
  const h = harness(true);
  const p = new ProgressBar({ label: 'rl', total: 4, stream: h.stream, now: h.now, redrawMs: 100 });
  p.tick(); // same instant: throttled
  h.advance(150);
  p.tick(1, 'reward 0.5');
  p.finish();
  assert.equal(h.writes.length, 4); // initial draw, one redraw, final, newline
  assert.ok(h.writes.slice(0, 3).every((w) => w.startsWith('\r') && w.endsWith('\x1b[K')));
  assert.match(h.writes[1]!, /2\/4 .*reward 0\.5/);
  assert.equal(h.writes[3], '\n');
  // Other output while a bar is shown: clear the line, print, redraw.
  const q = new ProgressBar({ label: 'q', total: 2, stream: h.stream, now: h.now });
  const before = h.writes.length;
  q.interrupt(() => h.writes.push('summary\n'));
  assert.deepEqual(h.writes.slice(before).map((w) => w.slice(0, 8)), ['\r\x1b[K', 'summary\n', '\rq  [...']);
  q.finish();
  // A narrow terminal: the redrawn line is cut so it does not wrap.
  const narrow = { isTTY: true, columns: 20, write: (x: string) => h.writes.push(x) };
  new ProgressBar({ label: 'a-long-phase-name', total: 10, stream: narrow, now: h.now }).finish();
  assert.equal(h.writes.at(-2), '\ra-long-phase-name  \x1b[K');
});

test('step summary: RL line with time split; SFT line with loss and lr', () => {
  const rl = formatStepSummary({
    step: 12, phase: 'rl', stage: 1,
    'critic/score/mean': 0.41234, 'critic/accuracy': 0.375, 'response_length/mean': 211.6,
    'actor/entropy': 1.2345, 'actor/pg_clipfrac': 0.02, 'actor/ppo_kl': 0.0012,
    'timing_s/gen': 6, 'timing_s/reward': 1, 'timing_s/old_log_prob': 1, 'timing_s/update_actor': 2,
  });
  assert.equal(rl, '[rl s1] step 12 | reward 0.412 | acc 0.375 | len 212 | ent 1.23 | clip 0.02 | kl 0.0012 | 10s (sampling 60% reward 10% update 30%)');
  assert.equal(
    formatStepSummary({ step: 2, phase: 'rl', stage: 2, 'critic/score/mean': 0.5, 'critic/rewards/mean': 0.25, 'reward/acc': 0.5 }),
    '[rl s2] step 2 | reward 0.5 | shaped 0.25 | acc 0.5',
  );
  const sft = formatStepSummary({ step: 3, phase: 'sft', stage: null, loss: 2.34567, lr: 0.0001, 'time/step_s': 0.5 });
  assert.equal(sft, '[sft] step 3 | loss 2.346 | lr 1.0e-4 | 0.5s');
});
