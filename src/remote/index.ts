/** Beyond one machine: RemotePolicy over the Tinker API, remote rollouts on vLLM / SGLang. */
export { TinkerClient, TinkerRequestError, type TinkerClientOptions } from './tinker-client.ts';
export { RemotePolicy, type RemotePolicyOptions, type RemoteBackend } from './remote-policy.ts';
export * from './rollout/index.ts';
export { TinkerPolicySchema, SamplerSchema, createRemotePolicy, createRolloutClient, type TinkerPolicyConfig, type SamplerConfig } from './config.ts';
export { ppoFastPathLoss, type FastPathLossFn, type PpoFastPath } from './fast-path.ts';
