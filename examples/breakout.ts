/**
 * An example user strategy: buy a breakout above the highest high of the last `lookback` bars,
 * sell when the close falls below the previous bar's low.
 * Run: npx tradeloop run --strategy ./examples/breakout.ts --param lookback=30
 */
import { checkKnownParams, intParam, type StrategyFactory } from '../src/strategy/strategy.ts';

const createBreakout: StrategyFactory = (params) => {
  checkKnownParams(params, ['lookback', 'pct'], 'breakout');
  const lookback = intParam(params, 'lookback', 30, 2, 10_000);
  const pct = BigInt(intParam(params, 'pct', 10, 1, 100));
  return {
    name: 'breakout',
    // Bars of history needed; realtime mode loads them over REST before the first decision.
    warmup: lookback + 1,
    onBar(bar, ctx) {
      const h = ctx.history; // h.get(0) is this bar, h.get(1) the one before
      if (h.length <= lookback) return [];
      let high = 0;
      for (let i = 1; i <= lookback; i++) high = Math.max(high, h.get(i)!.high);
      if (bar.close > high && ctx.position === 0) {
        const qty = ctx.lotsFor((ctx.equity * pct) / 100n, bar.close);
        return qty > 0 ? [{ side: 'buy', qty }] : [];
      }
      if (bar.close < h.get(1)!.low && ctx.position > 0) return [{ side: 'sell', qty: ctx.position }];
      return [];
    },
  };
};

export default createBreakout;
