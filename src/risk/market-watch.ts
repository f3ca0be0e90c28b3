/**
 * The limits, looked at again every bar, not only when an order is placed. A position taken inside
 * every limit can be carried past them by the market alone (a short squeezed 3 % a minute): each
 * limit the market passes is an alert, once per episode, and counted for the summary, whose verdict
 * then says so. Equity that falls to the margin floor (--margin-floor-pct of the gross exposure, or
 * to nothing) raises a `margin` halt that lets only reducing orders pass, lifted by itself when the
 * equity is back above the floor.
 */
import { formatMoney } from '../domain/price.ts';
import type { PaperBroker } from '../broker/paper-broker.ts';

export interface MarketWatchOptions {
  readonly maxPositionNotional: bigint;
  readonly maxGrossExposure: bigint;
  /** Equity below this share of the gross exposure (1e-4 percent) is a margin breach; null: only equity ≤ 0 is. */
  readonly marginFloorPctE4: bigint | null;
}

export interface MarketFinding {
  /** A limit the market has just carried the account past (said once until it clears). */
  readonly passed: readonly string[];
  /** The margin floor: 'breached' when equity just fell to it, 'recovered' when it just came back. */
  readonly margin: 'breached' | 'recovered' | null;
  readonly marginDetail: string;
}

const NOTHING: MarketFinding = Object.freeze({ passed: [], margin: null, marginDetail: '' });
const PCT_E4 = 1_000_000n;

export class MarketWatch {
  private readonly options: MarketWatchOptions;
  /** Limits now passed, by key (symbol notional or gross), so each episode is said once. */
  private readonly over = new Set<string>();
  private marginBreached = false;
  /** Episodes of a limit passed by the market, for the summary. */
  episodes = 0;
  /** The first episode's words, for the summary's verdict. */
  first: string | null = null;

  constructor(options: MarketWatchOptions) {
    this.options = options;
  }

  /** After `symbol` was marked at its bar's close. */
  check(symbol: string, broker: PaperBroker, equity: bigint): MarketFinding {
    const mv = broker.marketValue(symbol);
    // Nothing held and nothing passed: the common bar costs a comparison.
    if (mv === 0n && this.over.size === 0 && !this.marginBreached && equity > 0n) return NOTHING;
    const passed: string[] = [];
    const notional = mv < 0n ? -mv : mv;
    const { maxPositionNotional, maxGrossExposure, marginFloorPctE4 } = this.options;
    this.edge(
      `notional:${symbol}`,
      notional > maxPositionNotional,
      passed,
      () =>
        `the market took the ${symbol} position to ${formatMoney(notional)} of notional, past the ${formatMoney(maxPositionNotional)} limit (--max-position-notional)`,
    );
    const gross = broker.grossExcept(symbol) + notional;
    this.edge(
      'gross',
      gross > maxGrossExposure,
      passed,
      () => `the market took the gross exposure to ${formatMoney(gross)}, past the ${formatMoney(maxGrossExposure)} limit (--max-gross-exposure)`,
    );
    const floor = marginFloorPctE4 === null ? 0n : (gross * marginFloorPctE4) / PCT_E4;
    const below = equity <= 0n || (gross > 0n && equity < floor);
    let margin: MarketFinding['margin'] = null;
    if (below !== this.marginBreached) {
      this.marginBreached = below;
      margin = below ? 'breached' : 'recovered';
    }
    const marginDetail =
      margin === null
        ? ''
        : `equity ${formatMoney(equity)} against gross exposure ${formatMoney(gross)}: the margin floor is ${formatMoney(floor)}${marginFloorPctE4 === null ? '' : ` (${Number(marginFloorPctE4) / 1e4} %, --margin-floor-pct)`}`;
    return passed.length === 0 && margin === null ? NOTHING : { passed, margin, marginDetail };
  }

  private edge(key: string, isOver: boolean, passed: string[], words: () => string): void {
    if (isOver === this.over.has(key)) return;
    if (!isOver) {
      this.over.delete(key);
      return;
    }
    this.over.add(key);
    const text = words();
    this.episodes++;
    this.first ??= text;
    passed.push(text);
  }
}
