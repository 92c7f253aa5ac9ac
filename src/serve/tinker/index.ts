/** The Tinker-compatible training service (JSON API under /api/v1/) over LocalPolicy. */
export { createTinkerService, type TinkerService, type TinkerServiceOptions } from './service.ts';
export { FaultScript, type TinkerFault, type TinkerFaults } from './faults.ts';
export { builtinLoss, TINKER_LOSSES, type TinkerLossName, type Normalize } from './losses.ts';
export { encodeDatum, floatTensor } from './wire.ts';
