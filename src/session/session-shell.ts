/**
 * How a run, static or realtime, is put around its session: the state folder (locked, its persisted
 * halts read before run_start), the halt file, the sinks every run has (the console lines an
 * operator sees, the counter, the alert webhooks), the control endpoint, and the order things are
 * closed in so that the summary can report the webhooks' final figures.
 */
import type { EventSink } from '../events/event-bus.ts';
import { EventBus } from '../events/event-bus.ts';
import type { RunStartEvent } from '../events/types.ts';
import { startControlEndpoint, type ControlEndpoint } from '../server/control-endpoint.ts';
import { Heartbeat } from './heartbeat.ts';
import { Session, type SessionOptions } from './session.ts';
import type { LoopParts } from './loop-parts.ts';
import { StateDir, StateDirError, type PersistedHalt } from './state-dir.ts';
import type { HaltChange } from '../risk/trading-state.ts';
import { AfterSeq } from '../sinks/after-seq.ts';
import { ConsoleLines } from '../sinks/console-lines.ts';
import type { EventCounter } from '../sinks/event-counter.ts';
import { WebhookAlerts, type WebhookStats } from '../sinks/webhook-alerts.ts';
import { systemClock, type Clock } from '../telemetry/clock.ts';
import type { SessionConfig as RunOptions } from './session-config.ts';
import type { Terminal as CliIo } from './terminal.ts';
import { UsageError } from '../errors.ts';
import type { TradingControl } from '../risk/trading-control.ts';
import type { Flags } from '../config/flags.ts';
import { raiseFlagHalt } from './loop-parts.ts';
import { SessionObservers } from '../server/observers.ts';
import { LotSteps } from '../events/lot-steps.ts';
import { observerRoute } from '../server/observer-routes.ts';

export interface OpenSessionInput {
  readonly opts: RunOptions;
  readonly runId: string;
  readonly mode: 'static' | 'realtime';
  /** Opened (and locked) by the caller first thing, so that a second process is refused before any work. */
  readonly stateDir: StateDir | null;
  readonly counter: EventCounter;
  readonly io: CliIo;
  /** The run's own sinks (its events.ndjson writer), first on the bus. */
  readonly sinks: EventSink[];
  /**
   * Realtime: those of `sinks` that only keep figures (the statistics), which with the session's
   * counter and observers get each turn's events at its end (event-bus.ts says why).
   */
  readonly recorders?: readonly EventSink[];
  /** A resume: what the operator already saw (console lines, webhooks) up to this seq is not shown again. */
  readonly muteThrough?: number;
  readonly clock?: Clock;
}

export interface OpenedSession {
  readonly bus: EventBus;
  readonly stateDir: StateDir | null;
  readonly haltFile: string | null;
  /** Halts an earlier session persisted, for run_start; raised by session.restore(). */
  readonly persisted: RunStartEvent['restoredHalts'];
  readonly onHaltChange: (change: HaltChange) => void;
  attach(
    parts: LoopParts,
    extra: Partial<Pick<SessionOptions, 'priceOf' | 'feedStatus' | 'latencyP99' | 'receivedAt' | 'recorder' | 'feedCounters' | 'queueDepth'>>,
  ): Session;
  /** Starts the control endpoint when there is a state folder; prints where it listens (realtime). */
  startControl(): Promise<ControlEndpoint | null>;
  webhookStats(): WebhookStats | null;
  /** Before the summary: queued commands applied, the halt file and the endpoint stopped, webhooks drained (bounded). */
  finish(): Promise<void>;
  /** After run_end: the log closed, the state folder released. */
  close(): Promise<void>;
}

/**
 * What the session does when its journal cannot be written: trading halts (it never trades what it
 * cannot record), with an alert and a line on the terminal. Deferred: the failure is found while the
 * bus flushes, and the halt's own events belong to the next unit.
 */
export function journalFailure(session: Session, path: string): (err: Error) => void {
  return (err) =>
    queueMicrotask(() =>
      session.outOfCycle(() => {
        const now = session.options.parts.control.now;
        const detail = `cannot write the journal ${path}: ${err.message.slice(0, 200)}; nothing more is recorded there`;
        session.parts.control.raise('journal', 'auto', 'halted', detail);
        session.parts.bus.emit({
          type: 'alert',
          kind: 'journal',
          message: `${detail}. Trading is halted until a restart with a journal that can be written.`,
          ...(now ? { at: now() } : {}),
        });
      }),
    );
}

/** A resumed session takes FLAG_TRADING_HALTED as it is now: raised if set, lifted if the replay held it and it is no longer set. */
export function applyFlagNow(control: TradingControl, flags: Flags): void {
  if (flags.tradingHalted) raiseFlagHalt(control, flags);
  else control.lift('flag', 'flag');
}

/** Opens and locks the state folder, or refuses by name (exit 2): another session's pid, an unusable path. */
export function openStateDir(path: string | null): StateDir | null {
  if (path === null) return null;
  try {
    return StateDir.open(path);
  } catch (err) {
    if (err instanceof StateDirError) throw new UsageError(err.message);
    throw err;
  }
}

export function openSession(input: OpenSessionInput): OpenedSession {
  const clock = input.clock ?? systemClock;
  const stateDir = input.stateDir;
  let persisted: PersistedHalt[] = [];
  try {
    persisted = stateDir?.loadHalts() ?? [];
  } catch (err) {
    stateDir?.release();
    if (err instanceof StateDirError) throw new UsageError(err.message);
    throw err;
  }
  const haltFile = input.opts.haltFile ?? stateDir?.defaultHaltFile ?? null;
  const webhooks = input.opts.alertWebhooks.length > 0 ? new WebhookAlerts({ urls: input.opts.alertWebhooks, runId: input.runId, clock }) : null;
  const mute = (sink: EventSink): EventSink => (input.muteThrough ? new AfterSeq(sink, input.muteThrough) : sink);
  const lots = LotSteps.of(input.opts.instruments);
  const sinks: EventSink[] = [
    ...input.sinks,
    input.counter,
    mute(new ConsoleLines((line) => input.io.stderr(line), input.mode === 'realtime' ? () => clock.now() : null, lots)),
  ];
  if (webhooks) sinks.push(mute(webhooks));
  // Metrics, health and the dashboard are served by the control endpoint: only where there is one.
  const observers = stateDir
    ? new SessionObservers({ runId: input.runId, mode: input.mode, clock, counter: input.counter, webhooks: () => webhooks?.stats ?? null, lots })
    : null;
  if (observers) sinks.push(...observers.sinks);
  // The log, the journal's sink, the terminal's lines, webhooks and a library user's sinks are not among them.
  const recorders =
    input.mode === 'realtime' ? new Set<EventSink>([...(input.recorders ?? []), input.counter, ...(observers?.sinks ?? [])]) : new Set<EventSink>();
  const bus = new EventBus(sinks, recorders);
  let session: Session | null = null;
  let heartbeat: Heartbeat | null = null;
  let endpoint: ControlEndpoint | null = null;
  let finished = false;
  const finish = async (): Promise<void> => {
    if (finished) return;
    finished = true;
    heartbeat?.stop();
    session?.close();
    observers?.close();
    await endpoint?.close();
    await webhooks?.close();
  };
  return {
    bus,
    stateDir,
    haltFile,
    persisted: persisted.map(({ reason, source, severity, detail }) => ({ reason, source, severity, detail })),
    onHaltChange: (change) => session?.onHaltChange(change),
    attach(parts, extra) {
      session = new Session({
        runId: input.runId,
        mode: input.mode,
        symbols: input.opts.symbols,
        parts,
        counter: input.counter,
        clock,
        stateDir,
        haltFile,
        ...extra,
      });
      // Realtime beats every minute on a terminal by default; a given --heartbeat beats anywhere, in either mode.
      const every = input.opts.heartbeatMs ?? (input.mode === 'realtime' && input.io.stderrTTY ? 60_000 : 0);
      if (every > 0) {
        const s = session;
        heartbeat = new Heartbeat(
          clock,
          every,
          () => s.status(),
          (line) => input.io.stderr(line),
        );
        heartbeat.start();
      }
      return session;
    },
    async startControl() {
      if (stateDir === null || session === null) return null;
      try {
        observers?.start(session);
        endpoint = await startControlEndpoint(session, stateDir, input.opts.controlPort, clock, observers ? (req) => observerRoute(req, observers) : undefined);
      } catch (err) {
        await finish();
        stateDir.release();
        throw new UsageError(
          `--control-port ${input.opts.controlPort}: cannot listen on 127.0.0.1 (${(err as Error).message}). Choose another port, or leave --control-port out for any free one.`,
        );
      }
      return endpoint;
    },
    webhookStats: () => webhooks?.stats ?? null,
    finish,
    async close() {
      await finish();
      await bus.close();
      stateDir?.release();
    },
  };
}
