// llama.cpp peer of bench/model.ts (decode): node-llama-cpp 3.21.1 on the GGUF export of
// the reference model, one thread, F16 KV cache, flash attention off (contracts §6).
//   node llama-decode.mjs NODE_MODULES_DIR MODEL.gguf CTX N STEPS
// prints {"tok_s_1", "tok_s_N", "threads"}: greedy decode after a CTX-token prompt, one
// sequence, then N sequences of one context decoding together (each prefilled; not timed).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modulesDir, modelPath, ctxS, nS, stepsS] = process.argv.slice(2);
const ctx = Number(ctxS), n = Number(nS), steps = Number(stepsS);
const { getLlama } = await import(pathToFileURL(join(modulesDir, 'node-llama-cpp', 'dist', 'index.js')).href);
const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' });
const model = await llama.loadModel({ modelPath });
const vocab = 256; // byte tokens exist in every byte-level BPE vocabulary
let s = 7;
const prompt = Array.from({ length: ctx }, () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return 3 + (s % (vocab - 3)); });
const out = { threads: 1 };
for (const b of [1, n]) {
  const context = await model.createContext({ contextSize: ctx + steps + 256, sequences: b, threads: 1, flashAttention: false, batchSize: 512 });
  const seqs = Array.from({ length: b }, () => context.getSequence());
  for (const q of seqs) await q.evaluateWithoutGeneratingNewTokens(prompt);
  const t0 = performance.now();
  await Promise.all(seqs.map(async (q) => {
    let count = 0;
    for await (const _ of q.evaluate([prompt[0]], { temperature: 0 })) { if (++count >= steps) break; }
  }));
  const dt = (performance.now() - t0) / 1000;
  out[`tok_s_${b}`] = (b * steps) / dt;
  await context.dispose();
}
console.log(JSON.stringify(out));
await model.dispose();
await llama.dispose();
