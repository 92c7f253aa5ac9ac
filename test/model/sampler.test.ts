/**
 * Token picking: greedy, temperature, top-k, top-p (HF warper semantics), the reported
 * log-probability (tempered, before truncation), and empirical frequencies.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenPicker } from '../../src/model/sampler.ts';
import { Rng } from '../../src/util/rng.ts';

const logits = Float32Array.from([1.0, 3.0, 2.5, -1.0, 0.5, 2.9, 0.0, -4.0]);
const V = logits.length;

function probs(temp: number): number[] {
  const z = Array.from(logits, (x) => x / temp);
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function frequencies(params: { temperature: number; topP: number; topK: number }, draws = 20000): number[] {
  const picker = new TokenPicker(V);
  const rng = new Rng(5);
  const count = new Array<number>(V).fill(0);
  for (let i = 0; i < draws; i++) count[picker.pick(logits, params, rng).token]!++;
  return count.map((c) => c / draws);
}

test('greedy picks the argmax and reports log softmax of the raw logits', () => {
  const r = new TokenPicker(V).pick(logits, { temperature: 0, topP: 1, topK: 0 }, new Rng(1));
  assert.equal(r.token, 1);
  assert.ok(Math.abs(r.logprob - Math.log(probs(1)[1]!)) < 1e-12);
});

test('temperature sampling follows softmax(z/T) and reports its logprob', () => {
  const p = probs(0.7);
  const f = frequencies({ temperature: 0.7, topP: 1, topK: 0 });
  for (let i = 0; i < V; i++) assert.ok(Math.abs(f[i]! - p[i]!) < 0.015, `token ${i}: ${f[i]} vs ${p[i]}`);
  const picker = new TokenPicker(V);
  const rng = new Rng(2);
  for (let i = 0; i < 50; i++) {
    const r = picker.pick(logits, { temperature: 0.7, topP: 0.5, topK: 3 }, rng);
    assert.ok(Math.abs(r.logprob - Math.log(p[r.token]!)) < 1e-6, 'logprob before truncation');
  }
});

test('top-k keeps the k largest, renormalised', () => {
  const p = probs(1);
  const keep = [1, 5, 2];
  const mass = keep.reduce((a, i) => a + p[i]!, 0);
  const f = frequencies({ temperature: 1, topP: 1, topK: 3 });
  for (let i = 0; i < V; i++) {
    const want = keep.includes(i) ? p[i]! / mass : 0;
    assert.ok(Math.abs(f[i]! - want) < 0.015, `token ${i}: ${f[i]} vs ${want}`);
  }
});

test('top-p keeps the smallest descending prefix reaching the mass', () => {
  const p = probs(1);
  // Sorted: 1 (3.0), 5 (2.9), 2 (2.5), 0 (1.0), ...; cumulative after three tokens > 0.8?
  const order = [1, 5, 2, 0, 4, 6, 3, 7];
  let acc = 0;
  const keep: number[] = [];
  for (const i of order) { keep.push(i); acc += p[i]!; if (acc >= 0.8) break; }
  const f = frequencies({ temperature: 1, topP: 0.8, topK: 0 });
  for (let i = 0; i < V; i++) {
    const want = keep.includes(i) ? p[i]! / acc : 0;
    assert.ok(Math.abs(f[i]! - want) < 0.015, `token ${i}: ${f[i]} vs ${want}`);
  }
  // A large vocabulary takes the bisection path and still samples only nucleus tokens.
  const big = new Float32Array(5000).map((_, i) => (i % 97 === 0 ? 8 : Math.sin(i) * 0.5));
  const picker = new TokenPicker(big.length);
  const rng = new Rng(3);
  for (let i = 0; i < 200; i++) assert.equal(picker.pick(big, { temperature: 1, topP: 0.5, topK: 0 }, rng).token % 97, 0);
});
