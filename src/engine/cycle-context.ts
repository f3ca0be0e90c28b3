/**
 * What the strategy is handed each cycle: one reused context object (no allocation per bar) whose
 * fields are set before onBar. History is a read-only view of the engine's window, resting orders
 * are the broker's frozen copies, and the bar itself is frozen by the engine.
 */
import { entryPrice } from '../broker/book-view.ts';
import { parsePrice } from '../domain/price.ts';
import type { Bar, RestingOrder } from '../domain/types.ts';
import type { Instrument } from '../broker/instrument.ts';
import { BarWindow, HistoryView } from '../strategy/bar-window.ts';
import type { OrderUpdate, StrategyContext } from '../strategy/strategy.ts';
import { NO_UPDATES } from './order-updates.ts';

/** What the context answers of an open position when a strategy asks: read then, not every bar. */
export interface PositionFacts {
  entryPrice(symbol: string, position: number, inst: Instrument): number | null;
  unrealizedPnl(symbol: string, position: number): bigint;
}

/** The broker's book as PositionFacts: its cost basis and market value of the symbol. */
export function bookFacts(book: { basis(symbol: string): bigint; marketValue(symbol: string): bigint }): PositionFacts {
  return {
    entryPrice: (symbol, position, inst) => (position === 0 ? null : entryPrice(book.basis(symbol), position, inst.lotDiv)),
    unrealizedPnl: (symbol, position) => (position === 0 ? 0n : book.marketValue(symbol) - book.basis(symbol)),
  };
}

/** Facts known already (a strategy on its own thread is sent them with the bar). */
export function knownFacts(entry: number | null, unrealizedPnl: bigint): PositionFacts {
  return { entryPrice: () => entry, unrealizedPnl: () => unrealizedPnl };
}

const NO_FACTS = knownFacts(null, 0n);

const NO_BARS: readonly Bar[] = Object.freeze([]);

export class CycleContext implements StrategyContext {
  history!: HistoryView;
  position = 0;
  openOrders: readonly RestingOrder[] = [];
  cash = 0n;
  equity = 0n;
  lotStep = '1';
  historySize = 1;
  updates: readonly OrderUpdate[] = NO_UPDATES;
  private facts: PositionFacts = NO_FACTS;
  /** The entry price once a strategy asked for it this cycle (undefined: not yet computed). */
  private entry_: number | null | undefined = null;
  /** The bars decided so far at sliceTime: built here, from the bars decided, so a strategy on its own thread sees the same. */
  private sliceBars: Bar[] = [];
  /** How many of sliceBars came before this bar, and their frozen copy once a strategy has asked for it. */
  private sliceLen = 0;
  private sliceView: readonly Bar[] | null = NO_BARS;
  private sliceTime: number | null = null;
  private inst!: Instrument;
  /** lotsFor calls that had money to spend and got 0 lots: the entry is smaller than one lot (kept for the summary). */
  readonly subLot = { count: 0, symbol: '', lotStep: '', money: 0n, price: 0 };
  private symbol = '';
  private readonly windows = new Map<string, { window: BarWindow; view: HistoryView }>();

  /**
   * The slice's bars decided before this one, copied only when a strategy reads them: a copy per
   * bar would cost every cycle of a 1,000-symbol slice a copy of up to 999 bars.
   */
  get slice(): readonly Bar[] {
    if (this.sliceView === null) this.sliceView = Object.freeze(this.sliceBars.slice(0, this.sliceLen));
    return this.sliceView;
  }

  /**
   * The average price of the open quantity, computed when read: a bigint division per bar for
   * every strategy that never looks would cost each cycle in a position for nothing. The broker
   * does not change while the strategy runs, so one answer per cycle.
   */
  get entryPrice(): number | null {
    if (this.entry_ === undefined) {
      this.entry_ = this.facts.entryPrice(this.symbol, this.position, this.inst);
    }
    return this.entry_;
  }

  /** Market value less cost of the open quantity, read when asked (as entryPrice). */
  get unrealizedPnl(): bigint {
    return this.facts.unrealizedPnl(this.symbol, this.position);
  }

  window(symbol: string): BarWindow {
    return this.windowEntry(symbol).window;
  }

  private windowEntry(symbol: string): { window: BarWindow; view: HistoryView } {
    let e = this.windows.get(symbol);
    if (!e) {
      const window = new BarWindow(this.historySize);
      e = { window, view: new HistoryView(window) };
      this.windows.set(symbol, e);
    }
    return e;
  }

  /** Pushes the bar into its symbol's history and sets every field the strategy reads. */
  prepare(
    bar: Bar,
    inst: Instrument,
    position: number,
    openOrders: readonly RestingOrder[],
    cash: bigint,
    equity: bigint,
    facts: PositionFacts,
    updates: readonly OrderUpdate[],
  ): void {
    if (this.sliceTime !== bar.openTime) {
      this.sliceTime = bar.openTime;
      this.sliceBars = [];
    }
    this.sliceLen = this.sliceBars.length;
    this.sliceView = this.sliceLen === 0 ? NO_BARS : null;
    this.sliceBars.push(bar);
    this.facts = facts;
    this.entry_ = undefined;
    this.updates = updates;
    const e = this.windowEntry(bar.symbol);
    e.window.push(bar);
    this.history = e.view;
    this.symbol = bar.symbol;
    this.inst = inst;
    this.lotStep = inst.lotStep;
    this.position = position;
    this.openOrders = openOrders;
    this.cash = cash;
    this.equity = equity;
  }

  lotsFor(money: bigint, price: number): number {
    if (price <= 0 || money <= 0n) return 0;
    const lots = (money * this.inst.lotDiv) / BigInt(price);
    if (lots === 0n) this.noteSubLot(1, money, price);
    return lots > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(lots);
  }

  /** Sub-lot asks: `count` of them, the first ones recorded (a strategy on its own thread counts them there). */
  noteSubLot(count: number, money: bigint, price: number): void {
    const s = this.subLot;
    if (count <= 0) return;
    if (s.count === 0) {
      s.symbol = this.symbol;
      s.lotStep = this.inst.lotStep;
      s.money = money;
      s.price = price;
    }
    s.count += count;
  }

  price(text: string): number {
    return parsePrice(text);
  }
}

/** "strategy X threw on SYMBOL bar TIME: message (at file:line:col)": names the strategy, the bar and the line. */
export function strategyErrorMessage(name: string, bar: Bar, err: unknown): string {
  const where = /\((?:file:\/\/)?([^()]+:\d+:\d+)\)/.exec((err as Error)?.stack?.split('\n')[1] ?? '')?.[1];
  const text = String((err as Error)?.message ?? err).slice(0, 300);
  return `strategy ${name} threw on ${bar.symbol} bar ${new Date(bar.openTime).toISOString()}: ${text}${where ? ` (at ${where})` : ''}`;
}
