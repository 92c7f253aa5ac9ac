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
