export * from './record.ts';
export * from './prompt.ts';
export { synthTokenizerCorpus } from './synth/corpus.ts';
export * from './synth/vocab.ts';
export * from './synth/text.ts';
export * from './synth/tasks.ts';
export * from './tokens.ts';
export * from './synth/generate.ts';
export * from './io/index.ts';
