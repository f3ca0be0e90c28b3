/**
 * The run's statistics in one pass over its events, as an event sink: round trips (written to
 * trades.csv as they close, with their order types and slippage), the equity curve (equity.csv, one row per slice, fed by the engine's
 * sampler), the trade figures per symbol and overall, exposure, the benchmark and gaps. Memory is
 * flat: per-symbol state and running sums only. Static outputs are byte-identical across runs.
 */
import { CRYPTO_DEFAULT_STEP, defaultLotStep } from '../broker/instrument.ts';
import { join } from 'node:path';
import type { EventSink } from '../events/event-bus.ts';
import type { TradeEvent } from '../events/types.ts';
import { nominalIntervalMs } from '../domain/interval.ts';
import { CsvFile, csvField } from '../sinks/csv-file.ts';
import type { EventLogError } from '../sinks/event-log-error.ts';
import { BarStats } from './bar-stats.ts';
import { fromUnits, toUnits } from './decimal.ts';
import type { EquityCurve, EquitySample } from './equity-curve.ts';
import type { Figure } from './ratios.ts';
import { round } from './round.ts';
import { LotSteps } from '../events/lot-steps.ts';
import { TripBook, type OpenMark, type Trip } from './round-trips.ts';
import { FillCosts } from './fill-costs.ts';
import type { StatsSummary, SymbolStats } from './stats-summary.ts';
import { TripStats } from './trip-stats.ts';

/** The columns after `status` came later: appended, so a reader by position keeps working. */
export const TRADES_HEADER = 'symbol,entryTime,entryPrice,exitTime,exitPrice,qty,side,pnl,fees,barsHeld,status,entryOrderType,exitOrderType,exitBy,slippage';
export const EQUITY_HEADER = 'time,equity,cash,grossExposure,drawdownPct,benchmark';

const DAY_MS = 86_400_000;
const TWO = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let dayStart = NaN;
let dayText = '';

/**
 * ISO-8601 UTC, without milliseconds when they are 0: "2026-03-09T13:30:00Z". One a slice in
 * equity.csv: the date part is formatted once a day and the time of day by arithmetic (a Date and
 * toISOString a row were most of the row's cost).
 */
export function isoTime(ms: number): string {
  if (!(ms >= dayStart && ms < dayStart + DAY_MS)) {
    dayStart = Math.floor(ms / DAY_MS) * DAY_MS;
    dayText = new Date(dayStart).toISOString().slice(0, -13);
  }
  const r = ms - dayStart;
  const rest = r % 1000;
  const text = `${dayText}${TWO[Math.floor(r / 3_600_000)]}:${TWO[Math.floor(r / 60_000) % 60]}:${TWO[Math.floor(r / 1000) % 60]}`;
  return rest === 0 ? text + 'Z' : `${text}.${String(rest).padStart(3, '0')}Z`;
}

/** What the statistics read from the account at the end (the paper broker). */
export interface FinalAccount {
  equity(): bigint;
  position(symbol: string): number;
  marketValue(symbol: string): bigint;
  basis(symbol: string): bigint;
  lastMark(symbol: string): number;
}

export class RunStatistics implements EventSink {
  private readonly trips: TripBook;
  private readonly costs: FillCosts;
  private readonly overall = new TripStats();
  private readonly bySymbol = new Map<string, TripStats>();
  private readonly bars = new BarStats();
  private readonly tradesCsv: CsvFile;
  private readonly equityCsv: CsvFile;
  private symbols: readonly string[] = [];
  private startCash = 0n;
  private curve: EquityCurve | null = null;
  /** The last cash written to equity.csv and its text. */
  private cashUnits: bigint | null = null;
  private cashText = '';
  private intervalMs = 0;
  /** The lot steps run_start names: fills carry lots. */
  private lots = new LotSteps(new Map());

  /** A table that cannot be written (a full disk) never throws into the loop: its file tells `onFailure` (the run ends on it). */
  constructor(outDir: string, onFailure?: (failure: EventLogError) => void) {
    this.tradesCsv = new CsvFile(join(outDir, 'trades.csv'), TRADES_HEADER, onFailure);
    this.equityCsv = new CsvFile(join(outDir, 'equity.csv'), EQUITY_HEADER, onFailure);
    this.costs = new FillCosts(
      (symbol, openTime) => this.bars.closeAt(symbol, openTime),
      (symbol) => this.lots.decimals(symbol),
    );
    this.trips = new TripBook(
      (trip) => this.closed(trip),
      (symbol) => this.bars.barsOf(symbol),
      (symbol) => 10n ** BigInt(8 - this.lots.decimals(symbol)),
    );
  }

  /** The engine's equity sampler: each sample becomes a row of equity.csv. */
  attach(curve: EquityCurve): void {
    this.curve = curve;
    curve.intervalMs = this.intervalMs;
    curve.listener = (s) => this.equityRow(s);
  }

  write(_seq: number, e: TradeEvent): void {
    switch (e.type) {
      case 'bar':
        this.bars.bar(e.symbol, e.openTime, e.close);
        return;
      case 'decision':
        this.bars.decision(e.symbol, e.position === 0);
        return;
      case 'order':
        this.costs.order(e);
        return;
      case 'cancel':
        this.costs.cancel(e.orderId);
        return;
      case 'fill':
        this.trips.fill(e, this.costs.fill(e));
        return;
      case 'run_start':
        this.symbols = e.symbols;
        this.lots = LotSteps.fromLotSizes(e.lotSizes);
        this.startCash = toUnits(e.cash);
        this.intervalMs = nominalIntervalMs(e.interval);
        if (this.curve) this.curve.intervalMs = this.intervalMs;
        this.bars.begin(
          Number(this.startCash) / 1e8,
          e.symbols.length,
          this.intervalMs,
          e.symbols.length > 0 && e.symbols.every((sym) => defaultLotStep(sym) === CRYPTO_DEFAULT_STEP),
        );
        return;
    }
  }

  private closed(trip: Trip): void {
    this.overall.add(trip);
    let s = this.bySymbol.get(trip.symbol);
    if (s === undefined) {
      s = new TripStats();
      this.bySymbol.set(trip.symbol, s);
    }
    s.add(trip);
    this.tradesCsv.row(tripRow(trip));
  }

  /** The first table write failure, if one happened: the run is then an error naming the file. */
  get failed(): EventLogError | null {
    return this.tradesCsv.failed ?? this.equityCsv.failed;
  }

  private equityRow(s: EquitySample): void {
    // Cash moves only on a fill, and a flat book's equity is its cash: their text is kept, not made again every slice.
    if (s.cash !== this.cashUnits) {
      this.cashUnits = s.cash;
      this.cashText = fromUnits(s.cash);
    }
    const equity = s.equity === s.cash ? this.cashText : fromUnits(s.equity);
    const gross = s.grossExposure === 0n ? '0' : fromUnits(s.grossExposure);
    this.equityCsv.row(`${isoTime(s.time)},${equity},${this.cashText},${gross},${s.drawdownPct},${this.bars.benchmark.toFixed(4)}`);
  }

  flush(): void {
    this.tradesCsv.flush();
    this.equityCsv.flush();
  }

  /** Closes both files, whatever failed: a failure is kept in `failed`, never thrown. */
  async close(): Promise<void> {
    await this.tradesCsv.close();
    await this.equityCsv.close();
  }

  /**
   * After the engine's last sample: the open trips are valued at the broker's marks and written
   * last (status open), the files closed, and the summary's `stats` returned.
   */
  async finish(account: FinalAccount): Promise<StatsSummary> {
    this.bars.finish();
    const open = this.trips.openTrips(
      this.symbols,
      (symbol): OpenMark => ({
        unrealized: account.marketValue(symbol) - account.basis(symbol),
        price: BigInt(account.lastMark(symbol)),
      }),
    );
    for (const t of open) this.tradesCsv.row(tripRow(t));
    await this.close();
    return this.summary(open);
  }

  private summary(open: readonly Trip[]): StatsSummary {
    const curve = this.curve;
    const notComputed: Record<string, string> = {};
    const figure = (name: string, f: Figure | undefined): number | null => {
      if (f === undefined) return null;
      if (f.value === null && f.reason !== null) notComputed[name] = f.reason;
      return f.value;
    };
    const cagrPct = figure('cagrPct', curve?.cagrFigure);
    const sharpe = figure('sharpe', curve?.sharpeFigure);
    const sortino = figure('sortino', curve?.sortinoFigure);
    const calmar = figure('calmar', curve?.calmarFigure);
    const bySymbol: Record<string, SymbolStats> = {};
    for (const symbol of this.symbols) {
      bySymbol[symbol] = {
        bars: this.bars.barsOf(symbol),
        exposurePct: this.bars.exposurePct(symbol),
        buyHoldReturnPct: this.bars.symbolReturnPct(symbol),
        openTrips: open.filter((t) => t.symbol === symbol).length,
        ...(this.bySymbol.get(symbol) ?? new TripStats()).figures(),
        slippage: this.costs.figures(symbol),
      };
    }
    const gap = this.bars.largestGap;
    const from = curve?.from ?? null;
    const to = curve?.to ?? null;
    return {
      span: {
        from: from === null ? null : isoTime(from),
        to: to === null ? null : isoTime(to),
        days: round((curve?.spanMs ?? 0) / 86_400_000, 4),
        returns: curve?.samples ?? 0,
        returnsPerYear: curve?.returnsPerYear == null ? null : round(curve.returnsPerYear, 2),
      },
      cagrPct,
      sharpe,
      sortino,
      calmar,
      maxDrawdownPct: curve?.maxDrawdownPct ?? 0,
      exposurePct: this.bars.exposurePct(),
      ...(Object.keys(notComputed).length > 0 ? { notComputed } : {}),
      trips: { ...this.overall.figures(), openTrips: open.length },
      slippage: this.costs.figures(),
      benchmark: {
        kind: 'buy_and_hold',
        returnPct: this.bars.benchmarkReturnPct,
        finalEquity: this.bars.benchmark.toFixed(2),
        maxDrawdownPct: this.bars.benchmarkMaxDrawdownPct,
      },
      gaps: {
        count: this.bars.gaps,
        largestDays: gap === null ? null : round((gap.to - gap.from) / 86_400_000, 4),
        largestFrom: gap === null ? null : isoTime(gap.from),
        largestTo: gap === null ? null : isoTime(gap.to),
      },
      bySymbol,
    };
  }
}

function tripRow(t: Trip): string {
  return [
    csvField(t.symbol),
    isoTime(t.entryTime),
    fromUnits(t.entryPrice),
    t.exitTime === null ? '' : isoTime(t.exitTime),
    t.exitPrice === null ? '' : fromUnits(t.exitPrice),
    fromUnits(t.qty),
    t.side,
    fromUnits(t.pnl),
    fromUnits(t.fees),
    String(t.barsHeld),
    t.open ? 'open' : 'closed',
    t.entryOrderType,
    t.exitOrderType,
    t.exitBy,
    fromUnits(t.slippage),
  ].join(',');
}
