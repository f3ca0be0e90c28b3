/**
 * Raising and lifting halts, and what follows from them, in one place for every source (the flag,
 * the feed, the strategy, loss limits, operator commands, the halt file): the halt or resume
 * event with the state after it; a trading_state event and an alert when the state changes; and
 * the resting orders the new state forbids cancelled. Entering HALTED cancels every resting order
 * but a bracket's exits; entering REDUCING cancels those that would grow or flip a position. A
 * bracket's exits stay through both: they only ever shrink the position they protect (each is cut
 * to it at every fill, and leaves when it is flat), and a halt must not strip a position of its
 * stop. Cancels are never blocked.
 *
 * The caller decides when the events are committed (inside a cycle, or as their own unit between
 * cycles); this class only emits them in order.
 */
import type { RestingOrder } from '../domain/types.ts';
import { linkOf } from '../broker/brackets.ts';
import type { EventBus } from '../events/event-bus.ts';
import type { HaltReason, HaltSeverity, HaltSource, TradingStateName } from '../events/reasons.ts';
import type { CancelEvent } from '../events/types.ts';
import { onlyReduces } from './checks/check.ts';
import type { Halt, HaltChange, TradingState } from './trading-state.ts';

/** The part of the book a change of state acts on. */
export interface RestingBook {
  restingSymbols(): string[];
  restingOrders(symbol: string): readonly RestingOrder[];
  cancel(symbol: string, orderId: string): RestingOrder | undefined;
  position(symbol: string): number;
}

export interface TradingControlOptions {
  readonly trading: TradingState;
  readonly bus: EventBus;
  readonly book: RestingBook;
  /** Wall clock for `at` fields and halts' `since`; absent in static runs, whose logs carry no wall time. */
  readonly now?: () => number;
  /** The bar time a cancel is stamped with: the symbol's newest processed bar. */
  readonly barTime: (symbol: string) => number;
  /** Told after every change (the session persists operator and latched halts here). */
  readonly onChange?: (change: HaltChange, kind: 'raise' | 'lift') => void;
}

const HOW_LIFTED: Readonly<Record<HaltReason, string>> = {
  flag: 'restart without FLAG_TRADING_HALTED',
  operator: 'tradeloop resume',
  halt_file: 'remove the halt file',
  feed_stale: 'lifts itself when the feed is fresh',
  feed_disconnected: 'lifts itself when the feed reconnects',
  gap: 'lifts itself when the backfill succeeds',
  strategy_error: 'tradeloop resume --halt strategy_error once the strategy is checked',
  daily_loss: 'lifts itself at the next trading day',
  drawdown: 'tradeloop resume --halt drawdown',
  journal: 'restart once the journal can be written (disk space, permissions)',
  margin: 'lifts itself when equity is back above the margin floor (reduce positions: tradeloop flatten)',
  fleet: 'tradeloop resume --fleet (a resume of this session alone leaves it)',
};

/** How a halt of this reason is lifted, for status and alert lines. */
export function howLifted(reason: HaltReason): string {
  return HOW_LIFTED[reason];
}

export class TradingControl {
  readonly trading: TradingState;
  private readonly options: TradingControlOptions;
  /** Wall time spent out of ACTIVE (realtime; static runs count bars instead). */
  private notActiveMs = 0;
  private leftActiveAt: number | null = null;

  constructor(options: TradingControlOptions) {
    this.options = options;
    this.trading = options.trading;
  }

  get state(): TradingStateName {
    return this.trading.state;
  }

  /** The session's wall clock, if it has one (realtime); static runs read none. */
  get now(): (() => number) | undefined {
    return this.options.now;
  }

  private at(): { at: number } | Record<string, never> {
    return this.options.now ? { at: this.options.now() } : {};
  }

  /** Raises (or updates) a halt; false when it was a no-op (already held as asked, or held by another source). */
  raise(reason: HaltReason, source: HaltSource, severity: HaltSeverity, detail: string): boolean {
    const halt: Halt = { reason, source, severity, detail, since: this.options.now?.() ?? null };
    const change = this.trading.raise(halt);
    if (!change) return false;
    this.options.bus.emit({ type: 'halt', reason, source, severity, detail, state: change.to, ...this.at() });
    this.settle(change, source, `${reason} (${source}): ${detail}`);
    this.options.onChange?.(change, 'raise');
    return true;
  }

  /** Lifts a halt if `source` may; false when nothing was lifted. */
  lift(reason: HaltReason, source: HaltSource): boolean {
    const change = this.trading.lift(reason, source);
    if (!change) return false;
    this.options.bus.emit({ type: 'resume', reason, source, state: change.to, ...this.at() });
    this.settle(change, source, `${reason} lifted (${source})`);
    this.options.onChange?.(change, 'lift');
    return true;
  }

  /** Wall ms spent REDUCING or HALTED so far; null without a wall clock. */
  timeNotActiveMs(): number | null {
    const now = this.options.now;
    if (!now) return null;
    return this.notActiveMs + (this.leftActiveAt === null ? 0 : now() - this.leftActiveAt);
  }

  private settle(change: HaltChange, source: HaltSource, why: string): void {
    const { from, to } = change;
    if (from === to) return;
    const now = this.options.now;
    if (now && from === 'ACTIVE') this.leftActiveAt = now();
    if (now && to === 'ACTIVE' && this.leftActiveAt !== null) {
      this.notActiveMs += now() - this.leftActiveAt;
      this.leftActiveAt = null;
    }
    const { bus } = this.options;
    const halts = this.trading.reasons();
    bus.emit({ type: 'trading_state', from, to, halts, source, ...this.at() });
    const held = this.trading
      .list()
      .map((h) => `${h.reason}: ${howLifted(h.reason)}`)
      .join('; ');
    bus.emit({ type: 'alert', kind: 'trading_state', message: `trading ${to} (was ${from}) after ${why}${held ? `. Held: ${held}` : ''}`, ...this.at() });
    if (to === 'HALTED') this.cancelWhere((order) => linkOf(order) === null, 'trading_halted', 'trading is HALTED');
    else if (to === 'REDUCING') this.cancelGrowing();
  }

  private cancelWhere(doomed: (order: RestingOrder, symbol: string) => boolean, reason: CancelEvent['reason'], detail: string): void {
    const { book, bus, barTime } = this.options;
    for (const symbol of book.restingSymbols()) {
      for (const order of book.restingOrders(symbol)) {
        if (!doomed(order, symbol)) continue;
        book.cancel(symbol, order.orderId);
        bus.emit({ type: 'cancel', orderId: order.orderId, symbol, openTime: barTime(symbol), reason, detail });
      }
    }
  }

  /**
   * REDUCING keeps, oldest first, the resting orders that together still only shrink the position,
   * and a bracket's exits, which are not counted with them: alone they cannot take the position past
   * flat, and an order they would push past it is looked at again by the gate when it fills.
   */
  private cancelGrowing(): void {
    const { book } = this.options;
    const kept = new Map<string, number>();
    this.cancelWhere(
      (order, symbol) => {
        if (linkOf(order) !== null) return false;
        const pos = book.position(symbol);
        const before = kept.get(symbol) ?? pos;
        const after = order.side === 'buy' ? before + order.qty : before - order.qty;
        if (!onlyReduces(pos, after)) return true;
        kept.set(symbol, after);
        return false;
      },
      'reducing',
      'trading is REDUCING: this order would grow or flip the position',
    );
  }
}
