/**
 * The session's trading state, derived from the halts it holds (NautilusTrader's TradingState):
 * ACTIVE with none, REDUCING when the worst held is of severity reducing (only orders that shrink
 * a position pass), HALTED when any is of severity halted (no new order passes).
 *
 * Halts are a set keyed by reason, each lifted only by the source that raised it: a recovering
 * feed never lifts an operator's halt or FLAG_TRADING_HALTED. Latched halts (drawdown) are the one
 * exception: raised automatically, they are lifted only by an operator. This class holds state
 * and answers what changed; it emits nothing (risk/trading-control.ts turns changes into events).
 */
import type { HaltReason, HaltSeverity, HaltSource, TradingStateName } from '../events/reasons.ts';

export interface Halt {
  readonly reason: HaltReason;
  readonly source: HaltSource;
  readonly severity: HaltSeverity;
  readonly detail: string;
  /** When it was raised: wall ms where the session has a clock, else null (static runs read none). */
  readonly since: number | null;
}

/** What a raise or a lift changed; null means nothing did (a repeat is a no-op). */
export interface HaltChange {
  readonly halt: Halt;
  readonly from: TradingStateName;
  readonly to: TradingStateName;
}

/**
 * Halts only an operator may lift although the loop raised them: a drawdown, and a strategy that
 * threw (nothing in the loop can know the strategy is fixed; an operator who has looked can).
 */
const LATCHED: ReadonlySet<HaltReason> = new Set(['drawdown', 'strategy_error']);

export function stateOf(halts: Iterable<Halt>): TradingStateName {
  let state: TradingStateName = 'ACTIVE';
  for (const h of halts) {
    if (h.severity === 'halted') return 'HALTED';
    state = 'REDUCING';
  }
  return state;
}

export class TradingState {
  private readonly held = new Map<HaltReason, Halt>();
  private current: TradingStateName = 'ACTIVE';

  get state(): TradingStateName {
    return this.current;
  }

  /**
   * Raises a halt. A reason already held by the same source with the same severity is a repeat,
   * a no-op (null), whatever detail it gives: a loop that keeps failing is one halt, not many, and
   * an operator halting what they have halted keeps the reason they gave first (a new event pair
   * would count one halt twice). The one exception is the halt file, whose detail is the file's
   * line: edited, it is what the file says now. Another severity updates the halt in place. A
   * reason held by another source is left alone (null): only its own source may change it.
   */
  raise(halt: Halt): HaltChange | null {
    const old = this.held.get(halt.reason);
    if (old) {
      if (old.source !== halt.source) return null;
      if (old.severity === halt.severity && (halt.source !== 'file' || old.detail === halt.detail)) return null;
    }
    const stored = old ? { ...halt, since: old.since } : halt;
    this.held.set(halt.reason, stored);
    return this.settle(stored);
  }

  /** Whether `source` may lift the halt held for `reason`: its own source, or for a latched one an operator only. */
  canLift(reason: HaltReason, source: HaltSource): boolean {
    const h = this.held.get(reason);
    if (!h) return false;
    return LATCHED.has(reason) ? source === 'operator' : h.source === source;
  }

  lift(reason: HaltReason, source: HaltSource): HaltChange | null {
    if (!this.canLift(reason, source)) return null;
    const halt = this.held.get(reason)!;
    this.held.delete(reason);
    return this.settle(halt);
  }

  private settle(halt: Halt): HaltChange {
    const from = this.current;
    this.current = stateOf(this.held.values());
    return { halt, from, to: this.current };
  }

  has(reason: HaltReason): boolean {
    return this.held.has(reason);
  }

  get(reason: HaltReason): Halt | undefined {
    return this.held.get(reason);
  }

  list(): Halt[] {
    return [...this.held.values()];
  }

  reasons(): HaltReason[] {
    return [...this.held.keys()];
  }
}

/** Whether a halt of this reason is latched (lifted only by an operator). */
export function isLatched(reason: HaltReason): boolean {
  return LATCHED.has(reason);
}
