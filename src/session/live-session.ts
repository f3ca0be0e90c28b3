/**
 * A live session: the same engine, gate and paper broker as a static one, fed by a live feed, as
 * the command line and startSession() both run it. `open()` builds it (live-build.ts: state folder,
 * history, journal, loop, control endpoint); `start()` connects the feed; while it runs the
 * operator's commands go through `status()`, `halt()`, `resume()` and `flatten()` (or the control
 * endpoint); `stop()` closes the feed, drains the queue, decides every held bar, and writes run_end
 * and summary.json.
 */
import type { Flags } from '../config/flags.ts';
import { redactUrl } from '../config/redact-url.ts';
import type { Bar } from '../domain/types.ts';
import type { Engine } from '../engine/engine.ts';
import type { RealtimeLoop } from '../engine/realtime-loop.ts';
import type { EventSink } from '../events/event-bus.ts';
import type { HaltReason } from '../events/reasons.ts';
import type { RunSummary } from '../events/types.ts';
import type { LiveFeed } from '../feed/live-feed.ts';
import { createLiveFeed } from '../feed/live-feeds.ts';
import type { EventCounter } from '../sinks/event-counter.ts';
import { EventLogError } from '../sinks/event-log-error.ts';
import type { Strategy } from '../strategy/strategy.ts';
import { type Clock, systemClock } from '../telemetry/clock.ts';
import { buildSummary, costsOf } from './build-summary.ts';
import { buildLiveSession, type LiveBuilt } from './live-build.ts';
import type { CommandResult } from './commands.ts';
import { endJournal } from './journal-wiring.ts';
import type { Session } from './session.ts';
import type { SessionConfig } from './session-config.ts';
import type { SessionStatus } from './status.ts';
import type { Terminal } from './terminal.ts';
import type { FleetMember } from '../fleet/fleet-member.ts';

export interface LiveSessionInput {
  readonly config: SessionConfig;
  readonly flags: Flags;
  readonly strategy: Strategy;
  readonly strategyHash: string | null;
  readonly terminal: Terminal;
  /** Wall and monotonic time (tests: a virtual clock). */
  readonly clock?: Clock;
  /** The reconnect backoff's jitter. */
  readonly random?: () => number;
  /** More sinks on the bus (the benchmark counts decisions with one; startSession's onEvent). */
  readonly sinks?: readonly EventSink[];
  /** A connection's planned lifetime before rotation (Binance closes at 24 h). */
  readonly lifetimeMs?: number;
}

export interface LiveRunResult {
  readonly exitCode: 0 | 1;
  readonly outDir: string;
  readonly runId: string;
  readonly summary: RunSummary;
  /** The session's output could not be written (a full disk): it was ended early. */
  readonly error?: string;
}

export class LiveSession {
  readonly runId: string;
  readonly outDir: string;
  private readonly input: LiveSessionInput;
  private readonly built: LiveBuilt;
  private readonly clock: Clock;
  private stopOffsetRefresh: (() => void) | null = null;
  private stopping: Promise<LiveRunResult> | null = null;
  /** The fleet this session joined (--nats), or null. */
  private readonly fleet: FleetMember | null;

  private constructor(input: LiveSessionInput, runId: string, outDir: string, built: LiveBuilt, fleet: FleetMember | null) {
    this.input = input;
    this.runId = runId;
    this.outDir = outDir;
    this.built = built;
    this.clock = input.clock ?? systemClock;
    this.fleet = fleet;
  }

  /**
   * Builds the session, or refuses by name (UsageError, exit 2; StartupError, exit 1) before the feed
   * connects. A session of a fleet (--nats) reads the fleet's halt state first and applies it before
   * its first cycle: started while the fleet is halted, it starts HALTED.
   */
  static async open(input: LiveSessionInput): Promise<LiveSession> {
    const clock = input.clock ?? systemClock;
    // The NATS client is loaded only for a session of a fleet.
    const fleet =
      input.config.nats === null ? null : await (await import('../fleet/fleet-session.ts')).joinFleet(input.config, input.terminal, clock, process.env);
    let made: Awaited<ReturnType<typeof buildLiveSession>>;
    try {
      made = await buildLiveSession(input);
    } catch (err) {
      await fleet?.close();
      throw err;
    }
    const { runId, outDir, built } = made;
    if (fleet !== null) {
      built.session.setFleet(() => fleet.view());
      await fleet.attach(built.session, {
        name: input.config.journal?.session ?? runId,
        runId,
        strategy: input.strategy.name,
        symbols: input.config.symbols,
        terminal: input.terminal,
        // Bars behind the stream it reads (a session on the fleet's stream); null for a Binance feed.
        lagBars: () => built.feedRef.feed?.status().stream?.lag ?? null,
      });
    }
    return new LiveSession(input, runId, outDir, built, fleet);
  }

  /** The session's clock (its timers: --minutes). */
  clockOf(): Clock {
    return this.clock;
  }

  /** The session's operator side: its inbox and status, as the control endpoint sees it. */
  get session(): Session {
    return this.built.session;
  }

  get engine(): Engine {
    return this.built.parts.engine;
  }

  /** Where the control endpoint listens and its token; null without a state folder. */
  get control(): { readonly url: string; readonly token: string } | null {
    return this.built.endpoint;
  }

  /** The state folder (status, halt file, control.json). */
  get stateDirPath(): string | null {
    return this.built.opened.stateDir?.path ?? null;
  }

  get controlPath(): string | null {
    return this.built.opened.stateDir?.controlPath ?? null;
  }

  /** Resolves when the session's output can no longer be written: it must then be stopped. */
  get failure(): Promise<EventLogError> {
    return this.built.logFailed;
  }

  /** Connects the feed: after a resume each symbol goes on from the last bar it decided (the outage is backfilled). */
  start(): void {
    const { config: opts } = this.input;
    const b = this.built;
    if (b.feedRef.feed !== null) return;
    const feed = createLiveFeed(
      {
        ...b.source,
        random: this.input.random ?? Math.random,
        staleAfterMs: opts.staleAfterMs,
        staleAlertAfterMs: opts.staleAlertAfterMs,
        pingIntervalMs: opts.pingIntervalMs,
        maxBackfillBars: opts.maxBackfillBars,
        ...(this.input.lifetimeMs !== undefined ? { lifetimeMs: this.input.lifetimeMs } : {}),
        ...(b.cursor !== null ? { cursor: b.cursor } : {}),
      },
      b.loop,
    );
    // A resumed session on a stream reads on from its cursor: a symbol it has not decided a bar of
    // yet goes on after its journaled warm-up, not after the stream's newest bar (which would pass
    // over what was published while it was down).
    const journaledWarmup = b.cursor !== null && b.begun.replayed ? lastOpenTimes(b.journaled.resume?.run.warmupBars ?? []) : null;
    for (const symbol of opts.symbols) {
      const decided = b.begun.replayed ? b.parts.engine.barTime(symbol) : 0;
      const seed = decided > 0 ? decided : journaledWarmup !== null ? journaledWarmup.get(symbol) : b.history.lastClosed.get(symbol);
      if (seed !== undefined) feed.seed(symbol, seed);
    }
    b.feedRef.feed = feed;
    this.stopOffsetRefresh = b.liveHistory.refreshClockOffset();
    feed.start();
  }

  status(): SessionStatus {
    return this.built.session.status();
  }

  /** The kill switch: every new order refused (REDUCING with `reducing`), resting orders cancelled; applied between two cycles. */
  halt(options: { readonly reason?: string; readonly reducing?: boolean } = {}): Promise<CommandResult> {
    return this.built.session.submit({ kind: 'halt', detail: options.reason ?? null, reducing: options.reducing === true });
  }

  /** Lifts the operator halt, or a latched one named by `halt` (drawdown, strategy_error). */
  resume(options: { readonly halt?: HaltReason } = {}): Promise<CommandResult> {
    return this.built.session.submit({ kind: 'resume', halt: options.halt ?? null });
  }

  /** Cancels resting orders and closes every position (or those named) with market orders, even while halted. */
  flatten(options: { readonly symbols?: readonly string[] } = {}): Promise<CommandResult> {
    return this.built.session.submit({ kind: 'flatten', symbols: options.symbols ?? null });
  }

  /** Closes the feed, decides what it delivered, writes run_end and summary.json. Called twice, it ends once. */
  stop(): Promise<LiveRunResult> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<LiveRunResult> {
    const { config: opts, strategy, terminal } = this.input;
    const { opened, journaled, output, log, statistics, counter, parts, loop, watchdog, begun, warmupBars, feedRef } = this.built;
    const { bus } = opened;
    const { broker, engine } = parts;
    // No fleet command reaches a session that is ending; what it refused is alerted before run_end.
    await this.fleet?.close();
    this.stopOffsetRefresh?.();
    const feed = feedRef.feed;
    await feed?.stop();
    await loop.drainAll();
    await opened.finish();
    await watchdog?.stop();
    engine.finish();
    // Closed bars the feed accepted but never decided: still behind a backfill, or let go and missing from its answer.
    const undelivered = feed ? feed.undelivered() : { count: 0, reasons: [] };
    const stats = await statistics.finish(broker);
    const logError = (log.failed ?? statistics.failed)?.message;
    const summary = buildSummary({
      runId: this.runId,
      fillModel: opts.fillModel,
      costs: costsOf(opts),
      maxParticipation: opts.maxParticipation,
      symbols: opts.symbols,
      broker,
      engine,
      counter,
      barsBySymbol: loop.barsBySymbol,
      warmupBars,
      control: parts.control,
      warmup: strategy.warmup,
      webhooks: opened.webhookStats(),
      stats,
      ...(logError === undefined ? {} : { error: logError }),
      extra: {
        latency: loop.latency.summary(),
        // The feed's counters are this process's: after a resume (segment > 1) they cover that segment only.
        feed: { ...(feed ? feedCounters(feed, loop, counter) : {}), undelivered: undelivered.count, segment: begun.segment },
        ...(this.fleet === null ? {} : { fleet: this.fleet.summary() }),
        ...(opts.feed === 'nats' ? { stream: { name: opts.stream, server: redactUrl(opts.nats!) } } : {}),
      },
      ...(undelivered.count === 0 ? {} : { incomplete: `${undelivered.count} closed bars accepted but never decided: ${undelivered.reasons.join('; ')}` }),
    });
    bus.emit({ type: 'run_end', summary });
    await endJournal(journaled, begun.segment, summary.status, summary, terminal.stderr);
    await opened.close();
    let error = (log.failed ?? statistics.failed)?.message;
    const written = error !== undefined && logError === undefined ? { ...summary, status: 'error' as const, error } : summary;
    try {
      // The log failing only as it closed (fsync) is an error too, though run_end could not say so.
      output.writeSummary(`${JSON.stringify(written, null, 2)}\n`);
    } catch (err) {
      if (!(err instanceof EventLogError)) throw err;
      error ??= err.message;
    }
    return { exitCode: error === undefined ? 0 : 1, outDir: this.outDir, runId: this.runId, summary, ...(error === undefined ? {} : { error }) };
  }
}

/** Each symbol's newest openTime among these bars. */
function lastOpenTimes(bars: readonly Bar[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const b of bars) out.set(b.symbol, Math.max(out.get(b.symbol) ?? b.openTime, b.openTime));
  return out;
}

/** The summary's feed counters; /metrics reads the same while the session runs. */
export function feedCounters(f: LiveFeed, loop: RealtimeLoop, counter: EventCounter): Record<string, number> {
  const c = f.counters();
  // The summary's key order: the loop's late bars among the feed's own, alerts last.
  return {
    messages: c.messages,
    malformed: c.malformed,
    closedBars: c.closedBars,
    duplicates: c.duplicates,
    outOfOrder: c.outOfOrder,
    backfills: c.backfills,
    backfilledBars: c.backfilledBars,
    backfillFailures: c.backfillFailures,
    gapSkippedBars: c.gapSkippedBars,
    lateBars: loop.lateBars,
    connects: c.connects,
    disconnects: c.disconnects,
    rotations: c.rotations,
    pauses: c.pauses,
    // A session on the fleet's stream: where it read to, how far behind the stream, what the stream lacked, who published.
    ...streamCounters(f),
    alerts: counter.of('alert'),
  };
}

function streamCounters(f: LiveFeed): Record<string, number> {
  const s = f.status().stream;
  if (s === undefined) return {};
  return { streamReadThrough: s.readThrough ?? 0, streamLag: s.lag, gapBars: s.gapBars, publishers: s.publishers };
}
