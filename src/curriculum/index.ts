export * from './stages.ts';
export * from './difficulty.ts';
export * from './retrospective.ts';
export * from './sampler.ts';
export * from './curriculum.ts';
export * from './io.ts';
