/**
 * The limits, looked at again every bar, not only when an order is placed. A position taken inside
 * every limit can be carried past them by the market alone (a short squeezed 3 % a minute): each
 * limit the market passes is an alert, once per episode (it ends 5 % under the limit), and counted for the summary, whose verdict
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

/**
 * Past the limit, with a margin back: an episode ends only once the value is 5 % under the limit,
 * so a price wobbling across it is one episode (one alert), not one per crossing.
 */
function pastLimit(value: bigint, limit: bigint, wasOver: boolean): boolean {
  return wasOver ? value * 100n > limit * 95n : value > limit;
}

const NOTHING: MarketFinding = Object.freeze({ passed: [], margin: null, marginDetail: '' });
const PCT_E4 = 1_000_000n;

/** One symbol's part: its |market value| as of its last check, and whether it is past its notional limit. */
interface SymbolWatch {
  notional: bigint;
  over: boolean;
}

export class MarketWatch {
  private readonly options: MarketWatchOptions;
  private readonly symbols = new Map<string, SymbolWatch>();
  /** Σ of the symbols' notionals as of their last checks: the gross exposure, kept in O(1) a bar. */
  private gross = 0n;
  private grossOver = false;
  private marginBreached = false;
  /** Episodes of a limit passed by the market, for the summary. */
  episodes = 0;
  /** The first episode's words, for the summary's verdict. */
  first: string | null = null;

  constructor(options: MarketWatchOptions) {
    this.options = options;
  }

  /** Anything held or passed as of the last checks: a flat symbol's bar must be looked at too. */
  get watching(): boolean {
    return this.gross !== 0n || this.grossOver || this.marginBreached;
  }

  /** After `symbol` was marked at its bar's close; `equity` is the account's right after that mark. */
  check(symbol: string, broker: PaperBroker, equity: bigint): MarketFinding {
    let w = this.symbols.get(symbol);
    if (w === undefined) {
      w = { notional: 0n, over: false };
      this.symbols.set(symbol, w);
    }
    const mv = broker.marketValue(symbol);
    const notional = mv < 0n ? -mv : mv;
    // Nothing held, nothing passed, nothing owed: the common bar costs a few comparisons.
    if (notional === 0n && w.notional === 0n && !w.over && !this.grossOver && !this.marginBreached && equity > 0n) return NOTHING;
    this.gross += notional - w.notional;
    w.notional = notional;
    const { maxPositionNotional, maxGrossExposure, marginFloorPctE4 } = this.options;
    let passed: string[] | null = null;
    const nowOver = pastLimit(notional, maxPositionNotional, w.over);
    if (nowOver !== w.over) {
      w.over = nowOver;
      if (nowOver) {
        passed = [
          this.episode(
            `the market took the ${symbol} position to ${formatMoney(notional)} of notional, past the ${formatMoney(maxPositionNotional)} limit (--max-position-notional)`,
          ),
        ];
      }
    }
    const gross = this.gross;
    const grossOver = pastLimit(gross, maxGrossExposure, this.grossOver);
    if (grossOver !== this.grossOver) {
      this.grossOver = grossOver;
      if (grossOver) {
        (passed ??= []).push(
          this.episode(`the market took the gross exposure to ${formatMoney(gross)}, past the ${formatMoney(maxGrossExposure)} limit (--max-gross-exposure)`),
        );
      }
    }
    // The floor is at most the gross itself: equity at or above the gross needs no multiplication.
    const below = equity <= 0n || (marginFloorPctE4 !== null && equity < gross && equity * PCT_E4 < gross * marginFloorPctE4);
    let margin: MarketFinding['margin'] = null;
    let marginDetail = '';
    if (below !== this.marginBreached) {
      this.marginBreached = below;
      margin = below ? 'breached' : 'recovered';
      const floor = marginFloorPctE4 === null ? 0n : (gross * marginFloorPctE4) / PCT_E4;
      marginDetail = `equity ${formatMoney(equity)} against gross exposure ${formatMoney(gross)}: the margin floor is ${formatMoney(floor)}${marginFloorPctE4 === null ? '' : ` (${Number(marginFloorPctE4) / 1e4} %, --margin-floor-pct)`}`;
    }
    return passed === null && margin === null ? NOTHING : { passed: passed ?? [], margin, marginDetail };
  }

  private episode(text: string): string {
    this.episodes++;
    this.first ??= text;
    return text;
  }
}
