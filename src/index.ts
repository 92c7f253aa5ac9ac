/**
 * longrl public API. Each area re-exports its public pieces from its own index.
 */
export * from './util/index.ts';
export * from './engine/index.ts';
export * from './model/index.ts';
export * from './tokenizer/index.ts';
export * from './policy/index.ts';
export * from './data/index.ts';
export * from './reward/index.ts';
export * from './rl/index.ts';
export * from './curriculum/index.ts';
export * from './train/index.ts';
export * from './eval/index.ts';
export * from './serve/index.ts';
export * from './observe/index.ts';
export * from './model/io/index.ts';
export * from './distill/index.ts';
export * from './remote/index.ts';
export * from './ablate/index.ts';
// Both eval (benchmark items) and train (held-out items of a run) name a type EvalItem.
export type { EvalItem } from './eval/index.ts';
export type { EvalItem as TrainEvalItem } from './train/index.ts';
