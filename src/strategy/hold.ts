/** hold: never places an order (every decision is hold). The baseline for parity checks and for measuring the loop itself. */
import { checkKnownParams, type StrategyFactory } from './strategy.ts';

export const createHold: StrategyFactory = (params) => {
  checkKnownParams(params, [], 'hold');
  return { name: 'hold', warmup: 0, onBar: () => [] };
};
