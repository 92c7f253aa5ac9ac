export { RolloutClient, type RolloutClientOptions, type RolloutSequence, type WeightSyncEvent, type WeightSyncMode } from './rollout-client.ts';
export { EndpointPool, type Endpoint } from './endpoints.ts';
export { vllmCompletionBody, parseVllmCompletion, sglangGenerateBody, parseSglangGenerate, type Engine } from './engines.ts';
export { fetchJson, HttpStatusError } from './http.ts';
export { writePolicyWeights } from './write-weights.ts';
