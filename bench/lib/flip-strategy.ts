/** For the halt-file bench: an order on every bar (buy when flat, sell when long), so the first refused order shows when a halt took hold. */
import type { StrategyFactory } from '../../src/strategy/strategy.ts';

const create: StrategyFactory = () => ({
  name: 'flip-every-bar',
  warmup: 0,
  onBar: (_bar, ctx) => (ctx.position === 0 ? [{ side: 'buy', qty: 1 }] : [{ side: 'sell', qty: ctx.position }]),
});

export default create;
