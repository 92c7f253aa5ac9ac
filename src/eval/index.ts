export * from './metrics/index.ts';
