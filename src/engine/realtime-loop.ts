/**
 * The realtime side of the loop: the single consumer of the bar queue. Socket callbacks only
 * enqueue; this drains the queue on its own turn of the event loop, assembles slices, runs one
 * engine cycle per closed bar, and records its latency. It is also the FeedPort through which
 * the feed reports state, raises and lifts its own halts, and alerts.
 *
 * Intake pauses until a turn's units are durable: while the journal's commit of one turn is in
 * flight, the next turn waits for it, and bars keep queueing meanwhile (the queue is bounded, with
 * its overflow policy). Cycles keep their order: a slice its grace timer releases while a commit is
 * in flight waits for the next turn, ahead of anything queued since.
 */
import type { EventBus } from '../events/event-bus.ts';
import type { AlertKind, FeedState } from '../events/types.ts';
import type { ReceivedBar, FeedHaltReason, FeedItem, FeedPort } from './feed-port.ts';
import { BarQueue } from './bar-queue.ts';
import { SliceAssembler } from './slice-assembler.ts';
import type { Clock } from '../telemetry/clock.ts';
import { LatencyStats, type ClockOffset } from '../telemetry/latency.ts';
import type { TradingControl } from '../risk/trading-control.ts';
import type { CycleTiming, Engine } from './engine.ts';
import type { CycleRunner } from './cycle-runner.ts';

export interface RealtimeLoopOptions {
  readonly engine: Engine;
  /** The one cycle runner (static runs use the same): commands, journal provenance, watchdog, engine. */
  readonly cycles: CycleRunner;
  readonly control: TradingControl;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly symbols: readonly string[];
  readonly sliceGraceMs: number;
  readonly queueSize: number;
  readonly latencyAlertMs: number;
  readonly clockOffset: ClockOffset;
  /** Set before each cycle from the bar's stamp: the newest closed bar per symbol, which the gate reads for stale_bar. */
  readonly newest: Map<string, number>;
  /** Set once the feed exists: whether a symbol's bars are held for a backfill. */
  isBackfilling: (symbol: string) => boolean;
  /** The queue drained below half after being full. */
  onDrained: () => void;
  /** The journal's commit in flight, or null: no cycle starts until it settles. */
  readonly pendingCommit?: () => Promise<void> | null;
  /** Cycles started between two commits, at most (rounded up to a whole slice); default TURN_CYCLES. */
  readonly turnCycles?: number;
}

/** A turn's events, packed rows and transaction stay within a few MiB; a 15,000-cycle backlog is 8 commits. */
export const TURN_CYCLES = 2048;

const LATENCY_ALERT_EVERY_MS = 60_000;

/** A bar held by the loop: as received, plus when the loop took it off the queue. */
interface Taken {
  readonly bar: ReceivedBar['bar'];
  readonly item: ReceivedBar;
  readonly dequeuedMono: number;
}

export class RealtimeLoop implements FeedPort {
  readonly latency = new LatencyStats();
  /** When each symbol's newest decided bar was received (wall ms), for status. */
  readonly receivedAt = new Map<string, number>();
  alerts = 0;
  private readonly queue: BarQueue<FeedItem>;
  private readonly assembler: SliceAssembler<Taken>;
  private readonly options: RealtimeLoopOptions;
  private scheduled = false;
  /** Inside drain(): cycles are flushed at the end of the turn, not one by one. */
  private draining = false;
  private wasFull = false;
  /** Bars a grace timer released while a commit was in flight (or behind such bars): decided first on the next turn. */
  private readonly deferred: Taken[] = [];
  private lastLatencyAlert = -Infinity;
  /** Cycles started since the bus was last flushed, and the openTime of the last of them. */
  private sinceFlush = 0;
  private lastOpenTime = Number.NaN;
  private readonly turnCycles: number;

  constructor(options: RealtimeLoopOptions) {
    this.options = options;
    this.queue = new BarQueue(options.queueSize);
    this.turnCycles = options.turnCycles ?? TURN_CYCLES;
    this.assembler = new SliceAssembler({
      symbols: options.symbols,
      graceMs: options.sliceGraceMs,
      clock: options.clock,
      isBackfilling: (s) => options.isBackfilling(s),
      release: (item) => this.release(item),
    });
  }

  get lateBars(): number {
    return this.assembler.lateBars;
  }

  /** Closed bars waiting in the queue (not those held by the slice assembler). */
  get queued(): number {
    return this.queue.length;
  }

  push(item: FeedItem): boolean {
    const ok = this.queue.push(item);
    if (!ok) this.wasFull = true;
    this.schedule();
    return ok;
  }

  /**
   * Processes what is queued; yields to I/O every few hundred items so sockets keep being read.
   * The log is flushed once per turn, not once per cycle: a write call per bar was a large part
   * of a bar's cost at 1000 symbols, and a crash can only lose this turn, whose decisions went
   * nowhere (paper only).
   */
  drain(budget = 512): void {
    const pending = this.options.pendingCommit?.() ?? null;
    if (pending !== null) {
      this.scheduled = true;
      void pending.then(() => setImmediate(() => this.drain(budget)));
      return;
    }
    this.turn(budget);
  }

  private turn(budget: number): void {
    this.scheduled = false;
    this.draining = true;
    let n = 0;
    const now = this.options.clock.monotonic();
    const deferred = this.deferred;
    let ran = 0;
    while (ran < deferred.length && this.mayStart(deferred[ran]!.bar.openTime)) this.runCycle(deferred[ran++]!);
    deferred.splice(0, ran);
    for (let item = this.queue.shift(); item !== undefined; item = this.queue.shift()) {
      if (item.kind === 'skip') {
        this.options.engine.skip(item.event);
        this.options.bus.endCycle();
      } else {
        this.assembler.add({ bar: item.bar, item, dequeuedMono: now });
      }
      if (++n >= budget && this.queue.length > 0) {
        this.schedule();
        break;
      }
    }
    this.draining = false;
    this.flush();
    if (this.deferred.length > 0) this.schedule();
    if (this.wasFull && this.queue.length < this.queue.capacity / 2) {
      this.wasFull = false;
      this.options.onDrained();
    }
  }

  /** Decided bars per symbol (the cycle runner counts them). */
  get barsBySymbol(): Record<string, number> {
    return this.options.cycles.barsBySymbol;
  }

  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Whether a cycle of this openTime may start before the next flush: within the budget, or the slice under way. */
  private mayStart(openTime: number): boolean {
    return this.sinceFlush < this.turnCycles || openTime === this.lastOpenTime;
  }

  private flush(): void {
    this.sinceFlush = 0;
    this.lastOpenTime = Number.NaN;
    this.options.bus.flush();
  }

  /** A bar the assembler lets go: decided now (inside a turn, or from a grace timer with no commit in flight) unless earlier bars wait or the turn is full. */
  private release(taken: Taken): void {
    if (this.deferred.length > 0 || !this.mayStart(taken.bar.openTime) || (!this.draining && (this.options.pendingCommit?.() ?? null) !== null)) {
      this.deferred.push(taken);
      this.schedule();
      return;
    }
    this.runCycle(taken);
  }

  private runCycle(taken: Taken): void {
    const { bar, item } = taken;
    this.sinceFlush++;
    this.lastOpenTime = bar.openTime;
    this.options.cycles.run(
      bar,
      { newestOpenTime: item.newestOpenTime },
      {
        enter: () => {
          this.options.newest.set(bar.symbol, item.newestOpenTime);
          this.receivedAt.set(bar.symbol, item.recvWall);
        },
        during: (t) => this.measure(taken, t),
      },
    );
    // A slice released by its grace timer runs outside a turn: the next turn flushes it (one flush for the whole slice).
    if (!this.draining) this.schedule();
  }

  /** The cycle's latency event, its percentiles, and an alert when it is over --latency-alert-ms. */
  private measure(taken: Taken, t: CycleTiming): void {
    const { bus, clock, clockOffset } = this.options;
    const { bar, item } = taken;
    const networkMs = item.recvWall + clockOffset.offsetMs - item.eventTime;
    // Queue: receipt → taken by the loop. Slice: taken → its cycle starts (waiting for the other
    // symbols of its minute, then behind the bars before it in --symbols order).
    const dequeued = taken.dequeuedMono;
    const queueMs = dequeued - item.recvMono;
    const sliceMs = t.start - dequeued;
    const modelMs = t.modelDone - t.start;
    const brokerMs = t.brokerDone - t.modelDone;
    // A negative network figure is the offset estimate's error (ms-resolution server times, an
    // asymmetric round trip): kept as measured in the event, counted as 0 in the total.
    const totalMs = Math.max(0, networkMs) + (t.brokerDone - item.recvMono);
    const source = bar.source === 'rest-backfill' ? 'rest-backfill' : 'ws';
    bus.emit({
      type: 'latency',
      symbol: bar.symbol,
      openTime: bar.openTime,
      source,
      eventTime: item.eventTime,
      closeTime: bar.closeTime,
      recvTime: item.recvWall,
      modelTime: Math.round(item.recvWall + (t.modelDone - item.recvMono)),
      brokerTime: Math.round(item.recvWall + (t.brokerDone - item.recvMono)),
      networkMs: round3(networkMs),
      clockOffsetMs: round3(clockOffset.offsetMs),
      queueMs: round3(queueMs),
      sliceMs: round3(sliceMs),
      modelMs: round3(modelMs),
      brokerMs: round3(brokerMs),
      totalMs: round3(totalMs),
    });
    if (source === 'ws') {
      this.recordLatency(networkMs, queueMs, sliceMs, modelMs, brokerMs, totalMs);
      const now = clock.monotonic();
      if (totalMs > this.options.latencyAlertMs && now - this.lastLatencyAlert >= LATENCY_ALERT_EVERY_MS) {
        this.lastLatencyAlert = now;
        this.emitAlert(
          'latency',
          `${bar.symbol} bar ${new Date(bar.openTime).toISOString()}: total latency ${totalMs.toFixed(1)} ms is above ${this.options.latencyAlertMs} ms (network ${networkMs.toFixed(1)}, queue ${queueMs.toFixed(1)}, model ${modelMs.toFixed(1)}, broker ${brokerMs.toFixed(1)})`,
        );
      }
    }
  }

  /** One live bar's segments into the percentiles (a resume feeds the journaled ones here too). */
  recordLatency(networkMs: number, queueMs: number, sliceMs: number, modelMs: number, brokerMs: number, totalMs: number): void {
    this.latency.record('network', Math.max(0, networkMs));
    this.latency.record('queue', queueMs);
    this.latency.record('slice', sliceMs);
    this.latency.record('pipeline', queueMs + modelMs + brokerMs);
    this.latency.record('model', modelMs);
    this.latency.record('broker', brokerMs);
    this.latency.record('total', Math.max(0, totalMs));
  }

  private emitAlert(kind: AlertKind, message: string): void {
    this.alerts++;
    this.options.bus.emit({ type: 'alert', kind, message, at: this.options.clock.now() });
  }

  /** Events raised outside any cycle (feed state, halts, alerts) are their own unit, written at once. */
  commitAlone(): void {
    this.options.bus.endCycle();
    this.flush();
  }

  feedState(state: FeedState, detail: string): void {
    this.options.bus.emit({ type: 'feed', state, detail, at: this.options.clock.now() });
    this.commitAlone();
  }

  raiseHalt(reason: FeedHaltReason, detail: string): void {
    if (this.options.control.raise(reason, 'auto', 'halted', detail)) this.commitAlone();
  }

  liftHalt(reason: FeedHaltReason): void {
    if (this.options.control.lift(reason, 'auto')) this.commitAlone();
  }

  alert(kind: AlertKind, message: string): void {
    this.emitAlert(kind, message);
    this.commitAlone();
  }

  /** The newest price the feed has seen per symbol: where an operator's flatten fills in realtime. */
  readonly quotes = new Map<string, { price: number; eventTime: number }>();
  quote(symbol: string, price: number, eventTime: number): void {
    const q = this.quotes.get(symbol);
    if (q) {
      q.price = price;
      q.eventTime = eventTime;
    } else this.quotes.set(symbol, { price, eventTime });
  }

  /** Shutdown: everything queued and every held slice is decided before the summary (each after the commit before it). */
  async drainAll(): Promise<void> {
    await this.committed();
    this.turn(Infinity);
    await this.turnsUntilNoneDeferred();
    await this.committed();
    this.draining = true;
    this.assembler.flush();
    this.draining = false;
    this.flush();
    await this.turnsUntilNoneDeferred();
  }

  /** Turns, each after the commit before it, until every bar waiting for one is decided. */
  private async turnsUntilNoneDeferred(): Promise<void> {
    while (this.deferred.length > 0) {
      await this.committed();
      this.turn(Infinity);
    }
  }

  private async committed(): Promise<void> {
    for (let p = this.options.pendingCommit?.() ?? null; p !== null; p = this.options.pendingCommit?.() ?? null) await p;
  }
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
