/**
 * Seconds per counted FLOP of the ablation's probe (one SFT step, one RL sampling call)
 * at a given thread count: run one copy at 2 threads, then two copies at 1 thread at the
 * same time, to see whether parallel runs beat threads for the demo model.
 *
 *   npx tsx research/demo/probe-threads.ts MODEL_DIR THREADS [REPEATS]
 */
import { readModelConfig } from '../../src/model/config.ts';
import { LocalPolicy } from '../../src/policy/local.ts';
import { flopModel } from '../../src/train/flops.ts';
import { probeRates } from '../../src/ablate/probe.ts';

const [dir, threadsText, repeatsText] = process.argv.slice(2);
if (dir === undefined || threadsText === undefined) throw new Error('usage: probe-threads.ts MODEL_DIR THREADS [REPEATS]');
const cfg = readModelConfig(dir);
const policy = LocalPolicy.fromFolder(dir, { threads: Number(threadsText), lora: null });
const t = performance.now();
const r = await probeRates(policy, flopModel(cfg), { trainTokens: 96, batchSize: 16, prompts: 4, promptTokens: 384, n: 8, maxTokens: 32, vocabSize: cfg.vocabSize }, Number(repeatsText ?? 5));
console.log(JSON.stringify({ threads: Number(threadsText), trainGflops: 1 / r.train_s / 1e9, sampleGflops: 1 / r.sample_s / 1e9, wall_s: (performance.now() - t) / 1000 }));
