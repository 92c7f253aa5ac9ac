/** The OpenAI-compatible server (`longrl serve`). */
export { startServer, isLoopback, type ServerOptions, type RunningServer } from './server.ts';
export { ServeModel, topK, type ServeModelOptions, type TokenAlt } from './model.ts';
export { BatchScheduler, QueueFullError, type SchedulerStats, type SchedulerOptions, type JobParams, type SampleFn } from './scheduler.ts';
export { ApiError, errorBody } from './errors.ts';
export { cutAtStop } from './format.ts';
