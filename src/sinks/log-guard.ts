/**
 * What a run does when its event log fails (a full disk, EROFS, EIO): the writer throws an
 * EventLogError; this guard, put on the bus in the writer's place, reports it once and then keeps
 * the failed writer out of the way, so the rest of the run (the other sinks, the summary) carries
 * on to a clean end. A static run rethrows it, which unwinds the loop at once; a realtime run
 * cannot throw out of a socket callback, so it is told through onFailure and shuts down.
 */
import type { EventSink } from '../events/event-bus.ts';
import type { TradeEvent } from '../events/types.ts';
import { AfterSeq } from './after-seq.ts';
import { EventLogError } from './event-log-error.ts';
import { TradingEventsOnly } from './trading-events.ts';

export interface LogGuardOptions {
  /** Called once, with the first failure. */
  readonly onFailure?: (failure: EventLogError) => void;
  /** Throw the first failure on to the caller of write/endCycle/flush (static runs). */
  readonly rethrow: boolean;
}

/**
 * The run's event log as the bus sees it, the same in both modes: past the journal's seq on a
 * resume (the log has those lines already), without the per-bar lines for `--events trading`,
 * behind the guard.
 */
export function guardedLog(writer: EventSink, log: { readonly afterSeq: number; readonly events: 'all' | 'trading' }, options: LogGuardOptions): LogGuard {
  const resumed = log.afterSeq > 0 ? new AfterSeq(writer, log.afterSeq) : writer;
  return new LogGuard(log.events === 'trading' ? new TradingEventsOnly(resumed) : resumed, options);
}

export class LogGuard implements EventSink {
  private readonly log: EventSink;
  private readonly options: LogGuardOptions;
  private failure: EventLogError | null = null;
  private rethrow: boolean;

  constructor(log: EventSink, options: LogGuardOptions) {
    this.log = log;
    this.options = options;
    this.rethrow = options.rethrow;
  }

  /**
   * The loop is over (static): a failure from here on (the writer thread's last report, surfacing at
   * run_end) is kept for the summary, not thrown: nothing is left to unwind, and a throw would lose
   * summary.json.
   */
  keepFailures(): void {
    this.rethrow = false;
  }

  /** The failure that stopped the log, if one did: the run's exit code and summary depend on it. */
  get failed(): EventLogError | null {
    return this.failure;
  }

  write(seq: number, event: TradeEvent): void {
    if (this.failure) return;
    try {
      this.log.write(seq, event);
    } catch (err) {
      this.fail(err, this.rethrow);
    }
  }

  endCycle(): void {
    this.forward(this.log.endCycle);
  }

  flush(): void {
    this.forward(this.log.flush);
  }

  /** Once a cycle or a chunk, not per event: a method of the log's, called on it unless it failed. */
  private forward(call: ((this: EventSink) => void) | undefined): void {
    if (this.failure || call === undefined) return;
    try {
      call.call(this.log);
    } catch (err) {
      this.fail(err, this.rethrow);
    }
  }

  /** Never throws an EventLogError: after close, `failed` says whether the log is whole. */
  async close(): Promise<void> {
    try {
      await this.log.close?.();
    } catch (err) {
      if (this.failure) return; // the same failure, reported already
      this.fail(err, false);
    }
  }

  private fail(err: unknown, rethrow: boolean): void {
    if (!(err instanceof EventLogError)) throw err;
    this.failure = err;
    this.options.onFailure?.(err);
    if (rethrow) throw err;
  }
}
