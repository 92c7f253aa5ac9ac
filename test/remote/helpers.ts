/** Shared fixtures of the remote tests: a tiny model folder and a Tinker server on 127.0.0.1. */
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { writeModelFolder } from '../../src/model/folder.ts';
import { createTinkerService, type TinkerService, type TinkerServiceOptions } from '../../src/serve/tinker/index.ts';
import { randomIds, randomWeights, tinyConfig } from '../model/helpers.ts';
import type { AdamParams, Datum, LossFn, Policy } from '../../src/policy/types.ts';
import { makePolicyLossFn, makeRlDatum, withExtra } from '../../src/rl/index.ts';

export function makeModelFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'longrl-remote-'));
  const dir = join(root, 'tiny');
  const cfg = tinyConfig();
  writeModelFolder(dir, { config: cfg, weights: randomWeights(cfg, 7, 0.1).toTensors() });
  return dir;
}

export interface TinkerFixture {
  url: string;
  service: TinkerService;
  close(): Promise<void>;
}

export async function startTinker(opts: TinkerServiceOptions): Promise<TinkerFixture> {
  const service = createTinkerService(opts);
  const server: Server = createServer((req, res) => service.handleTinkerRequest(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    service,
    async close() {
      service.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * Runs `fn` against a Tinker service on 127.0.0.1 over a fresh tiny model folder (`dir`);
 * the server is closed and the folder removed afterwards, whatever `fn` did.
 */
export async function withTinker(opts: Omit<TinkerServiceOptions, 'modelDir'>, fn: (fx: TinkerFixture, dir: string) => Promise<void>): Promise<void> {
  const dir = makeModelFolder();
  const fx = await startTinker({ modelDir: dir, ...opts });
  try {
    await fn(fx, dir);
  } finally {
    await fx.close();
    rmSync(dirname(dir), { recursive: true, force: true });
  }
}

export function checksum(a: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}

export interface Trace {
  tokens: number[][][];
  sampleLogprobs: number[][][];
  trainLogprobs: number[][][];
  losses: number[];
  gradNorms: number[];
}

const prompts = [Array.from(randomIds(7, 61, 11)), Array.from(randomIds(5, 61, 12))];

/** Reward: the fraction of even token ids (a rule the tiny model can learn). */
function reward(tokens: readonly number[]): number {
  return tokens.length ? tokens.filter((t) => t % 2 === 0).length / tokens.length : 0;
}

/** A tiny GRPO-like loop through any Policy; `seedBase` offsets the sampling seeds (for resumed runs). */
export async function rlLoop(policy: Policy, adam: AdamParams, steps: number, firstStep = 0, lossFn: LossFn = makePolicyLossFn({ clipHigh: 0.28 })): Promise<Trace> {
  const trace: Trace = { tokens: [], sampleLogprobs: [], trainLogprobs: [], losses: [], gradNorms: [] };
  for (let step = firstStep; step < firstStep + steps; step++) {
    const datums: Datum[] = [];
    const stepTokens: number[][] = [];
    const stepLps: number[][] = [];
    for (let i = 0; i < prompts.length; i++) {
      const [group] = await policy.sample([prompts[i]!], { n: 4, temperature: 1, topP: 1, topK: -1, maxTokens: 6, seed: 100 * step + i });
      const rewards_G = group!.map((s) => reward(s.tokens));
      const mean = rewards_G.reduce((a, b) => a + b, 0) / rewards_G.length;
      group!.forEach((s, j) => {
        stepTokens.push(s.tokens);
        stepLps.push(s.logprobs);
        datums.push(makeRlDatum({ promptTokens: prompts[i]!, tokens: s.tokens, logprobs: s.logprobs, finishReason: s.finishReason }, rewards_G[j]! - mean));
      });
    }
    const old = await policy.forward(datums);
    const fb = await policy.forwardBackward(withExtra(datums, 'oldLogprobs_T', old.logprobs), lossFn);
    const os = await policy.optimStep(adam);
    trace.tokens.push(stepTokens);
    trace.sampleLogprobs.push(stepLps);
    trace.trainLogprobs.push(fb.logprobs.map((x) => Array.from(x)));
    trace.losses.push(fb.loss);
    trace.gradNorms.push(os.gradNorm);
  }
  return trace;
}

