/**
 * sma-cross: goes long when the fast simple moving average of closes crosses above the slow one,
 * and leaves (or, with short=1, goes short) when it crosses below. Sizes each entry at `pct`
 * percent of equity.
 */
import type { Bar, OrderIntent } from '../domain/types.ts';
import { checkKnownParams, intParam, StrategyParamError, type StrategyContext, type StrategyFactory } from './strategy.ts';

const NONE: readonly OrderIntent[] = [];

export const createSmaCross: StrategyFactory = (params) => {
  checkKnownParams(params, ['fast', 'slow', 'pct', 'short'], 'sma-cross');
  const fast = intParam(params, 'fast', 5, 1, 10_000);
  const slow = intParam(params, 'slow', 20, 2, 10_000);
  const pct = intParam(params, 'pct', 20, 1, 100);
  const allowShort = intParam(params, 'short', 0, 0, 1) === 1;
  if (fast >= slow) throw new StrategyParamError(`--param fast=${fast} must be less than slow=${slow}`);
  const pctBig = BigInt(pct);
  return {
    name: 'sma-cross',
    warmup: slow + 1,
    onBar(_bar: Bar, ctx: StrategyContext): readonly OrderIntent[] {
      const h = ctx.history;
      if (h.length < slow + 1) return NONE;
      // fast·sumSlow against slow·sumFast: no division. Sums of integer ticks are exact below 2^53 and
      // deterministic above it, so csv and realtime runs decide alike either way.
      const sumFast = h.sumCloses(fast);
      const sumSlow = h.sumCloses(slow);
      // The previous bar's sums follow from these: drop this bar, add the one that fell out.
      const now = h.get(0)!.close;
      const prevFast = sumFast - now + h.get(fast)!.close;
      const prevSlow = sumSlow - now + h.get(slow)!.close;
      const nowDiff = sumFast * slow - sumSlow * fast;
      const prevDiff = prevFast * slow - prevSlow * fast;
      const pos = ctx.position;
      if (prevDiff <= 0 && nowDiff > 0 && pos <= 0) {
        const lots = ctx.lotsFor((ctx.equity * pctBig) / 100n, h.get(0)!.close);
        const qty = lots - pos; // cover any short, then go long
        return qty > 0 ? [{ side: 'buy', qty }] : NONE;
      }
      if (prevDiff >= 0 && nowDiff < 0 && pos >= 0) {
        const shortLots = allowShort ? ctx.lotsFor((ctx.equity * pctBig) / 100n, h.get(0)!.close) : 0;
        const qty = pos + shortLots;
        return qty > 0 ? [{ side: 'sell', qty }] : NONE;
      }
      return NONE;
    },
  };
};
