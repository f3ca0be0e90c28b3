/**
 * The `stats` key of summary.json (and run_end): trade statistics, risk-adjusted ratios, the
 * buy-and-hold benchmark, exposure and gaps. Money is exact decimal text; ratios are numbers, or
 * null with the reason in `notComputed`. Every formula is in the README ("Summary statistics").
 */

export interface SymbolStats extends TripFigures {
  readonly bars: number;
  readonly exposurePct: number | null;
  /** last close / first close − 1 of this symbol's own bars. */
  readonly buyHoldReturnPct: number | null;
  readonly openTrips: number;
  /** The symbol's fills against their decision closes. */
  readonly slippage: SlippageFigures;
}

export interface StatsSummary {
  readonly span: {
    readonly from: string | null;
    readonly to: string | null;
    readonly days: number;
    readonly returns: number;
    /** Return observations per year at the cadence observed: returns / span in years. */
    readonly returnsPerYear: number | null;
  };
  readonly cagrPct: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  readonly calmar: number | null;
  readonly maxDrawdownPct: number;
  readonly exposurePct: number | null;
  /** Why a null figure above is null. */
  readonly notComputed?: Readonly<Record<string, string>>;
  readonly trips: TripFigures & { readonly openTrips: number };
  /** What the fill model cost against the closes of the bars that decided the orders, over every fill (src/stats/fill-costs.ts). */
  readonly slippage: SlippageFigures;
  readonly benchmark: {
    readonly kind: 'buy_and_hold';
    readonly returnPct: number;
    readonly finalEquity: string;
    readonly maxDrawdownPct: number;
  };
  readonly gaps: { readonly count: number; readonly largestDays: number | null; readonly largestFrom: string | null; readonly largestTo: string | null };
  readonly bySymbol: Readonly<Record<string, SymbolStats>>;
}

/** Fills against the close of the bar that decided each order: Σ (fill − close) × qty, signed so that a cost is positive. */
export interface SlippageFigures {
  /** Exact decimal string; negative when limits bought below (sold above) their decision closes more than the rest cost. */
  readonly cost: string;
  /** Σ |price × qty| of the same fills, exact decimal string (rounded to 1e-8). */
  readonly tradedNotional: string;
  /** cost / tradedNotional × 10 000, 4 decimals; null without a fill. */
  readonly bps: number | null;
}

/** A set of round trips, summed: overall or per symbol. */
export interface TripFigures {
  readonly roundTrips: number;
  readonly wins: number;
  readonly losses: number;
  /** wins / roundTrips × 100; null without trips. */
  readonly winRatePct: number | null;
  /** Σ winning PnL / |Σ losing PnL|; null without a losing trip (or without trips). */
  readonly profitFactor: number | null;
  /** Exact decimal strings (averages rounded to 1e-8); null when there is no such trip. */
  readonly netPnl: string;
  readonly fees: string;
  readonly avgWin: string | null;
  readonly avgLoss: string | null;
  readonly largestWin: string | null;
  readonly largestLoss: string | null;
  readonly avgBarsHeld: number | null;
}
