/**
 * buy-and-hold: on each symbol's first decision, buys `pct` percent of the equity then (default 45,
 * which fits the default limits for two symbols: half the cash per symbol), and holds to the end.
 * The benchmark a strategy has to beat, run through the same broker, fees and limits.
 */
import { checkKnownParams, intParam, type StrategyFactory } from './strategy.ts';

export const createBuyAndHold: StrategyFactory = (params) => {
  checkKnownParams(params, ['pct'], 'buy-and-hold');
  const pct = BigInt(intParam(params, 'pct', 45, 1, 100));
  const bought = new Set<string>();
  return {
    name: 'buy-and-hold',
    warmup: 0,
    onBar(bar, ctx) {
      if (bought.has(bar.symbol)) return [];
      bought.add(bar.symbol);
      const qty = ctx.lotsFor((ctx.equity * pct) / 100n, bar.close);
      return qty > 0 ? [{ side: 'buy', qty }] : [];
    },
  };
};
