/**
 * The one-line summary a trainer prints after each optimizer step (issue 7): reward,
 * accuracy, response length, entropy, clip fraction, KL, and the step's time split
 * between sampling, reward and update. Fields absent from the line are left out.
 */
import { pickKey, pickValue, timingSplit } from './metric-names.ts';
import { formatSeconds } from './progress.ts';

/** A number in at most `digits` significant digits, without exponent for usual sizes. */
export function formatMetric(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(Math.max(0, digits - 1)).replace('e+', 'e');
  if (Number.isInteger(x)) return String(x);
  return String(Number.parseFloat(x.toPrecision(digits)));
}

/** `[rl s1] step 12 | reward 0.412 | acc 0.375 | len 212 | ent 1.23 | clip 0.02 | 12.3s (sampling 62% reward 8% update 30%)` */
export function formatStepSummary(line: Record<string, unknown>): string {
  const phase = typeof line['phase'] === 'string' ? line['phase'] : '?';
  const stage = typeof line['stage'] === 'number' ? ` s${line['stage']}` : '';
  const parts: string[] = [`[${phase}${stage}] step ${String(line['step'])}`];
  const add = (label: string, v: number | undefined, digits = 3) => {
    if (v !== undefined) parts.push(`${label} ${formatMetric(v, digits)}`);
  };
  add('loss', phase === 'rl' ? undefined : pickValue(line, 'loss'), 4);
  add('reward', pickValue(line, 'reward'));
  if (pickKey(line, 'shapedReward') !== pickKey(line, 'reward')) add('shaped', pickValue(line, 'shapedReward'));
  add('acc', pickValue(line, 'accuracy'));
  const len = pickValue(line, 'responseLength');
  if (len !== undefined) parts.push(`len ${Math.round(len)}`);
  add('ent', pickValue(line, 'entropy'));
  add('clip', pickValue(line, 'clipFraction'));
  add('kl', pickValue(line, 'kl'));
  if (phase !== 'rl') add('lr', pickValue(line, 'lr'), 2);
  const split = timingSplit(line);
  const sum = split.reduce((s, p) => s + p.seconds, 0);
  const total = pickValue(line, 'stepTime') ?? (split.length > 0 ? sum : undefined);
  if (total !== undefined) {
    const shares = sum > 0 ? split.map((p) => `${p.label} ${Math.round((100 * p.seconds) / sum)}%`).join(' ') : '';
    const t = formatSeconds(total);
    parts.push(shares ? `${t} (${shares})` : t);
  }
  return parts.join(' | ');
}
