/** A strategy module (loaded by path, as a user's would be) that asks for 2000 bars of history. */
import type { StrategyFactory } from '../../src/strategy/strategy.ts';

const create: StrategyFactory = () => ({ name: 'warmup-2000', warmup: 2000, onBar: () => [] });
export default create;
