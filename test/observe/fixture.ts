/**
 * A synthetic but realistic run folder for report tests: config.yaml, metrics.jsonl
 * (SFT warm-up then two RL stages) written through MetricsLog, and results.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsLog } from '../../src/observe/metrics-log.ts';
import { Rng } from '../../src/util/rng.ts';

export const FIXTURE_RESULTS = [
  { model: 'base', length: 512, accuracy: 5, n: 40 },
  { model: 'base', length: 1024, accuracy: 2.5, n: 40 },
  { model: 'sft', length: 512, accuracy: 40, n: 40 },
  { model: 'sft', length: 1024, accuracy: 22.5, n: 40 },
  { model: 'sft-continued', length: 512, accuracy: 42.5, n: 40 },
  { model: 'sft-continued', length: 1024, accuracy: 25, n: 40 },
  { model: 'rl-stage1', length: 512, accuracy: 55, n: 40 },
  { model: 'rl-stage1', length: 1024, accuracy: 35, n: 40 },
  { model: 'rl-final', length: 512, accuracy: 60, n: 40 },
  { model: 'rl-final', length: 1024, accuracy: 47.5, n: 40 },
  { model: 'rl-final', length: 1024, accuracy: 52.5, n: 20, task: 'multi-hop' },
  { model: 'sft', length: 1024, accuracy: 20, n: 20, task: 'multi-hop' },
];

export function writeFixtureRun(dir: string, opts: { sftSteps?: number; rlStepsPerStage?: number; results?: boolean } = {}): void {
  const rng = new Rng(3);
  writeFileSync(join(dir, 'config.yaml'), 'seed: 1\nrl:\n  group_size: 8\n  temperature: 0.7\nnote: "<script>alert(1)</script>"\n');
  const log = new MetricsLog(dir, { hostname: 'fixture', onNote: () => {} });
  let step = 0;
  const sft = opts.sftSteps ?? 20;
  for (let i = 0; i < sft; i++) {
    step++;
    const held = i % 5 === 4 ? { 'eval/heldout_loss': 3.2 * Math.exp(-i / 8) } : {};
    log.log({ step, phase: 'sft', loss: 3 * Math.exp(-i / 8) + 0.1 * rng.float(), lr: 1e-4, ...held, 'train/tokens': 500 + i, 'time/step_s': 0.2 });
  }
  const per = opts.rlStepsPerStage ?? 40;
  for (const stage of [1, 2]) {
    for (let i = 0; i < per; i++) {
      step++;
      const p = (stage - 1) * 0.3 + (i / per) * 0.4;
      log.log({
        step,
        phase: 'rl',
        stage,
        'critic/score/mean': p + 0.1 * rng.float(),
        'critic/accuracy': p * 0.9 + 0.1 * rng.float(),
        'critic/rewards/mean': p - 0.1 * rng.float(),
        'response_length/mean': 120 + 40 * rng.float() + 20 * stage,
        'actor/entropy': 1.5 - i / (2 * per) + 0.1 * rng.float(),
        'actor/pg_clipfrac': 0.02 * rng.float(),
        'actor/ppo_kl': 0.001 * rng.float(),
        'actor/grad_norm': i === 5 && stage === 2 ? Number.NaN : 1 + rng.float(),
        'curriculum/retro_carried': stage === 2 ? 4 : 0,
        'train/tokens': 900 + i,
        'timing_s/gen': 2 + rng.float(),
        'timing_s/reward': 0.3,
        'timing_s/update_actor': 1.2,
      });
    }
  }
  // The sft-continued baseline: SFT steps logged after RL, marked by `baseline`.
  for (let i = 0; i < 10; i++) {
    step++;
    log.log({ step, phase: 'sft', baseline: 'sft-continued', loss: 0.5 + 0.05 * rng.float(), lr: 1e-4, 'train/tokens': 480 });
  }
  log.close();
  if (opts.results ?? true) writeFileSync(join(dir, 'results.json'), JSON.stringify(FIXTURE_RESULTS, null, 2));
}
