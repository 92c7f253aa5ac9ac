export type * from './types.ts';
export { LocalPolicy, type LocalPolicyOptions } from './local.ts';
