/**
 * What an operator must see as it happens: every halt, resume and alert, and a feed back from an
 * outage, as one readable line on stderr (time, kind, what, and how it is lifted or what to do), in realtime and static runs alike.
 * Static runs carry no wall clock: their lines are stamped with the bar time of the cycle.
 */
import type { EventSink } from '../events/event-bus.ts';
import { formatPrice } from '../domain/price.ts';
import type { LotSteps } from '../events/lot-steps.ts';
import type { AlertKind } from '../events/reasons.ts';
import type { TradeEvent } from '../events/types.ts';

/**
 * Alert kinds a misbehaving server can raise many times a second (a queue that fills again and
 * again, a stream of bad messages): one line a minute each on the terminal, the rest counted on
 * the next line. Every one is still an event, and the summary counts them all. Kinds that concern
 * the account or the kill switch are never folded.
 */
const FOLDED: ReadonlySet<AlertKind> = new Set(['queue_full', 'malformed', 'latency', 'stale', 'disconnect', 'backfill', 'control_auth']);
const FOLD_MS = 60_000;

export class ConsoleLines implements EventSink {
  private readonly write_: (line: string) => void;
  private barTime = 0;
  /** Orders an operator sent (flatten): their fills and refusals are said too, wherever the command came from. */
  private readonly operatorOrders = new Set<string>();
  /** Orders partly filled and still open: what becomes of their rest (filled, cancelled) is said too. */
  private readonly partlyFilled = new Set<string>();
  /** Reject reasons said once already: the first of each gets a line, the rest are counted in the summary. */
  private readonly rejectReasons = new Set<string>();
  /** Per folded kind: when its last line was printed, and how many have been held back since. */
  private readonly folds = new Map<AlertKind, { at: number; held: number }>();
  lines = 0;
  /** The feed's last state: leaving `disconnected` is said (a feed whose outage halts nothing says it nowhere else). */
  private feedState: string | null = null;

  /** Realtime: the wall clock, for lines whose event carries no `at` (a reject, a flatten's fill). */
  private readonly now: (() => number) | null;

  /** Each symbol's lot step, in which a flatten's and a reject's quantities are said (events carry lots). */
  private readonly lots: LotSteps;

  constructor(write: (line: string) => void, now: (() => number) | null, lots: LotSteps) {
    this.write_ = write;
    this.now = now;
    this.lots = lots;
  }

  private stamp(eventAt: number | undefined): string {
    const at = eventAt ?? this.now?.();
    if (at !== undefined) return new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return this.barTime === 0 ? 'start' : `bar ${new Date(this.barTime).toISOString().replace(/:00\.000Z$/, 'Z')}`;
  }

  write(_seq: number, e: TradeEvent): void {
    let text: string;
    switch (e.type) {
      case 'bar':
        this.barTime = e.openTime;
        return;
      case 'feed': {
        const was = this.feedState;
        this.feedState = e.state;
        if (was !== 'disconnected' || e.state === 'disconnected' || e.state === 'stopped') return;
        text = `FEED    ${e.state} again: ${e.detail ?? 'reconnected'}`;
        break;
      }
      case 'halt':
        text = `HALT    ${e.reason} (${e.source}, ${e.severity}): ${e.detail} -> trading ${e.state}`;
        break;
      case 'resume':
        text = `RESUME  ${e.reason} lifted (${e.source}) -> trading ${e.state}`;
        break;
      case 'alert': {
        const held = this.fold(e.kind, e.at);
        if (held === null) return;
        text = `ALERT   ${e.kind}: ${e.message}${held > 0 ? ` (and ${held} more ${e.kind} alert(s) in the minute before, not shown)` : ''}`;
        break;
      }
      case 'order':
        if (e.sentBy === 'operator') this.operatorOrders.add(e.orderId);
        return;
      case 'fill':
        if (!this.operatorOrders.delete(e.orderId)) {
          const partial = this.partial(e);
          if (partial === null) return;
          text = partial;
          break;
        }
        text = `FLATTEN ${e.symbol} ${e.side} ${this.lots.text(e.symbol, e.qty)} at ${formatPrice(e.price)} (${e.priceSource ?? 'last_close'}${e.priceTime !== undefined ? ` of ${new Date(e.priceTime).toISOString()}` : ''}) -> position ${this.lots.text(e.symbol, e.position)}`;
        break;
      case 'cancel':
        // The rest of a partly filled order: the operator saw the partial fill, and sees where the rest went.
        if (!this.partlyFilled.delete(e.orderId)) return;
        text = `CANCEL  ${e.symbol} ${e.orderId}, the rest of a partly filled order: ${e.reason}: ${e.detail}`;
        break;
      case 'reject':
        if (e.orderId !== undefined && this.operatorOrders.delete(e.orderId)) {
          text = `FLATTEN ${e.symbol} NOT closed: ${e.reason}: ${e.detail}`;
          break;
        }
        // An order refused is something the operator must know; thousands of the same are not news.
        if (this.rejectReasons.has(e.reason)) return;
        this.rejectReasons.add(e.reason);
        text = `REJECT  ${e.reason}: ${e.symbol} ${e.side} ${this.lots.text(e.symbol, e.qty)}: ${e.detail} (the first ${e.reason} reject; the summary counts them all)`;
        break;
      default:
        return;
    }
    this.lines++;
    this.write_(`tradeloop ${this.stamp('at' in e ? e.at : undefined)} ${text}\n`);
  }

  /**
   * A fill that left part of its order (the bar's participation cap), and the fill that completes
   * such an order: a line each. A fill of a whole order is not news (the summary counts them).
   */
  private partial(e: Extract<TradeEvent, { type: 'fill' }>): string | null {
    const what = `${e.symbol} ${e.orderId} ${e.side} ${this.lots.text(e.symbol, e.qty)} at ${formatPrice(e.price)}`;
    if (e.remaining !== undefined && e.remaining > 0) {
      this.partlyFilled.add(e.orderId);
      return `PARTIAL ${what}: ${this.lots.text(e.symbol, e.remaining)} remaining -> position ${this.lots.text(e.symbol, e.position)}`;
    }
    if (!this.partlyFilled.delete(e.orderId)) return null;
    return `FILLED  ${what}: the rest of a partly filled order, now complete -> position ${this.lots.text(e.symbol, e.position)}`;
  }

  /** null: hold this alert back; otherwise how many of its kind were held back before it. */
  private fold(kind: AlertKind, at: number | undefined): number | null {
    if (!FOLDED.has(kind) || at === undefined) return 0;
    const f = this.folds.get(kind);
    if (f !== undefined && at - f.at < FOLD_MS) {
      f.held++;
      return null;
    }
    const held = f?.held ?? 0;
    this.folds.set(kind, { at, held: 0 });
    return held;
  }

  /** What was held back at the end is said, not lost. */
  close(): void {
    for (const [kind, f] of this.folds) {
      if (f.held === 0) continue;
      this.lines++;
      this.write_(
        `tradeloop ${this.stamp(undefined)} ALERT   ${kind}: ${f.held} more ${kind} alert(s) in the last minute, not shown one by one (the summary counts them all)\n`,
      );
      f.held = 0;
    }
  }
}
