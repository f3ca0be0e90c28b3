/**
 * The parts of the summary that explain a result: what went wrong (halts and how much of the run
 * they covered, alerts, strategy errors, refusals by reason), what is still open at the end, the
 * verdict on the first line, and, when no order was placed, the likely cause computed from what the
 * run saw — never guessed.
 */
import { bookView } from '../broker/book-view.ts';
import type { PaperBroker } from '../broker/paper-broker.ts';
import type { Engine } from '../engine/engine.ts';
import { formatMoney, formatPrice } from '../domain/price.ts';
import type { RunSummary } from '../events/types.ts';
import type { TradingControl } from '../risk/trading-control.ts';
import type { EventCounter } from '../sinks/event-counter.ts';
import { round } from '../stats/round.ts';

/** Trading out of ACTIVE for at least this share of the bars makes the verdict say so. */
const MOSTLY = 0.5;

export interface ExplainInput {
  readonly symbols: readonly string[];
  readonly broker: PaperBroker;
  readonly engine: Engine;
  readonly counter: EventCounter;
  readonly control?: TradingControl;
  readonly warmup: number;
  readonly warmupBars: Readonly<Record<string, number>>;
  readonly barsBySymbol: Readonly<Record<string, number>>;
}

export type Explained = Pick<
  RunSummary,
  | 'rejectsByReason'
  | 'skipsByReason'
  | 'cancelsByReason'
  | 'rejectDetails'
  | 'alertsByKind'
  | 'halts'
  | 'openPositions'
  | 'restingOrders'
  | 'grossExposure'
  | 'noOrderCause'
>;

export function explain(input: ExplainInput): Explained {
  const { broker, engine, counter, control, symbols } = input;
  const bars = counter.of('bar');
  const { positions: openPositions, restingOrders, gross } = bookView(broker, symbols, { entryPrice: false });
  const notActive = engine.haltedBars + engine.reducingBars;
  const timeNotActiveMs = control?.timeNotActiveMs() ?? null;
  const cause = counter.of('order') === 0 ? noOrderCause(input, bars) : null;
  return {
    rejectsByReason: counter.byReason('reject'),
    skipsByReason: counter.byReason('skip'),
    cancelsByReason: counter.byReason('cancel'),
    rejectDetails: counter.rejectDetails.slice(),
    alertsByKind: counter.byReason('alert'),
    halts: {
      state: control?.state ?? 'ACTIVE',
      held: control?.trading.reasons() ?? [],
      raised: counter.byReason('halt'),
      haltedBars: engine.haltedBars,
      reducingBars: engine.reducingBars,
      notActivePct: bars === 0 ? 0 : round((notActive / bars) * 100, 2),
      barsHeldBy: Object.fromEntries([...engine.barsHeldBy.entries()].sort((a, b) => b[1] - a[1])),
      ...(timeNotActiveMs !== null ? { timeNotActiveMs: Math.round(timeNotActiveMs) } : {}),
      strategyErrors: engine.strategyErrors,
      ...(engine.limitsPassedByMarket ? { limitsPassedByMarket: engine.limitsPassedByMarket } : {}),
    },
    openPositions,
    restingOrders,
    grossExposure: formatMoney(gross),
    ...(cause ? { noOrderCause: cause } : {}),
  };
}

/** ok, halted (trading out of ACTIVE for most bars), error or incomplete, and the one line that says it. */
export function verdictOf(s: Pick<RunSummary, 'status' | 'error' | 'incomplete' | 'bars' | 'halts'>): { status: RunSummary['status']; verdict: string } {
  if (s.status === 'error') return { status: 'error', verdict: `error: ${s.error ?? ''}` };
  if (s.status === 'incomplete') return { status: 'incomplete', verdict: `incomplete: ${s.incomplete ?? ''}` };
  const h = s.halts;
  // A run the market carried past its limits is never plain ok, however little it was halted.
  const passed = h.limitsPassedByMarket;
  if (passed) {
    return {
      status: 'breached',
      verdict: `breached: ${passed.first}${passed.count > 1 ? ` (and ${passed.count - 1} more time(s): see the limit_breach alerts)` : ''}`,
    };
  }
  const share = s.bars === 0 ? 0 : (h.haltedBars + h.reducingBars) / s.bars;
  if (share < MOSTLY) {
    // A session that ends on a dead feed or under a halt decided few bars halted, but the operator
    // must still read it on the first line: the state it was left in.
    if (h.state !== 'ACTIVE') return { status: 'ok', verdict: `ok, but ${h.state} at the end (held: ${h.held.join(', ') || 'no reason recorded'})` };
    return { status: 'ok', verdict: 'ok' };
  }
  const word = h.haltedBars >= h.reducingBars ? 'HALTED' : 'REDUCING';
  const reasons = Object.keys(h.barsHeldBy).join(', ') || 'no reason recorded';
  return { status: 'halted', verdict: `ok, but ${word} ${Math.round(share * 100)}% of bars: ${reasons}` };
}

function noOrderCause(input: ExplainInput, bars: number): string {
  const { engine, counter, symbols, warmup, warmupBars, barsBySymbol } = input;
  if (bars === 0) return 'no bar was decided';
  // The strategy needs `warmup` bars of history before it can decide anything but hold.
  const longest = Math.max(...symbols.map((s) => (warmupBars[s] ?? 0) + (barsBySymbol[s] ?? 0)));
  if (warmup > 0 && longest <= warmup) {
    return `the run saw at most ${longest} bars of a symbol (warm-up included), and the strategy needs ${warmup} of history before its first real decision: widen the window (--minutes) or start earlier (--from)`;
  }
  const rejects = counter.of('reject');
  if (rejects > 0) {
    const [top, n] = Object.entries(counter.byReason('reject'))[0]!;
    return `every order was refused: ${rejects} rejects, most of them ${top} (${n})${top === 'trading_halted' ? '; trading was halted' : ''}; see rejectsByReason and rejectDetails`;
  }
  if (engine.haltedBars === bars) return `trading was HALTED for every bar (${Object.keys(engine.barsHeldBy).join(', ')}), and the strategy asked for nothing`;
  const sub = engine.subLotAsks;
  if (sub.count > 0) {
    return `the strategy's entry size was below one lot ${sub.count} time(s): e.g. ${formatMoney(sub.money)} at ${sub.symbol} ${formatPrice(sub.price)} is less than one lot of ${sub.lotStep}; raise --cash or the sizing parameter, or set a finer --lot ${sub.symbol}=0.001`;
  }
  // A strategy that threw asked for nothing on those bars because it failed, not because it chose to hold.
  if (engine.strategyErrors > 0)
    return `the strategy threw ${engine.strategyErrors} time(s) and asked for no order on the other bars: see halts.strategyErrors and the strategy_error alert`;
  return `the strategy never asked for an order: all ${counter.of('decision')} decisions were hold`;
}
