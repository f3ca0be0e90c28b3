/**
 * `run --source realtime` at the command line: the live session (session/live-session.ts) for
 * --minutes of wall-clock time, or until SIGINT/SIGTERM; then it drains, writes the summary, and
 * exits 0. What a terminal adds: the start lines, the stop signals, the summary printed.
 */
import { join } from 'node:path';
import type { Flags } from '../config/flags.ts';
import { redactUrl } from '../config/redact-url.ts';
import type { Engine } from '../engine/engine.ts';
import type { EventSink } from '../events/event-bus.ts';
import { LiveSession } from '../session/live-session.ts';
import { StartupError } from '../session/live-startup.ts';
import type { Session } from '../session/session.ts';
import type { SessionConfig } from '../session/session-config.ts';
import type { Strategy } from '../strategy/strategy.ts';
import type { Clock } from '../telemetry/clock.ts';
import type { CliIo } from './cli-io.ts';
import { formatSummary, quietLine } from './run-summary.ts';
import { listenForStop } from './stop-signals.ts';

export { StartupError } from '../session/live-startup.ts';

export interface RealtimeHooks {
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Resolves when the run should stop (tests); by default SIGINT/SIGTERM or --minutes. */
  readonly stopSignal?: Promise<void>;
  /** Called once the feed is running: the artifacts folder, the engine and the session (tests drive operator commands through it). */
  readonly onStarted?: (info: { outDir: string; runId: string; engine: Engine; session: Session; controlUrl?: string; token?: string }) => void;
  readonly lifetimeMs?: number;
  /** More sinks on the bus (the benchmark counts decisions with one). */
  readonly sinks?: EventSink[];
}

export async function runRealtime(
  opts: SessionConfig,
  flags: Flags,
  strategy: Strategy,
  io: CliIo,
  hooks: RealtimeHooks = {},
  strategyHash: string | null = null,
): Promise<number> {
  let live: LiveSession;
  try {
    live = await LiveSession.open({
      config: opts,
      flags,
      strategy,
      strategyHash,
      terminal: io,
      ...(hooks.clock ? { clock: hooks.clock } : {}),
      ...(hooks.random ? { random: hooks.random } : {}),
      ...(hooks.sinks ? { sinks: hooks.sinks } : {}),
      ...(hooks.lifetimeMs !== undefined ? { lifetimeMs: hooks.lifetimeMs } : {}),
    });
  } catch (err) {
    if (err instanceof StartupError) {
      io.stderr(`tradeloop: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const { runId, outDir } = live;
  // Stop on a signal or at the end of --minutes, whichever comes first; then clear the other, or
  // the process would linger until the timer fired. The signal handlers stay until the summary is
  // written: a second Ctrl-C (npx forwards one too) must not cost it.
  let minutesTimer: object | null = null;
  const signals = hooks.stopSignal
    ? null
    : listenForStop(io, { unwritten: () => `summary.json, run_end, and the cycles of the turn in flight in ${join(outDir, 'events.ndjson')}` });
  const stop =
    hooks.stopSignal ??
    new Promise<void>((resolve) => {
      void signals?.requested.then(() => resolve());
      if (opts.minutes !== null) minutesTimer = live.clockOf().setTimer(resolve, opts.minutes * 60_000);
    });
  live.start();
  if (!opts.quiet) {
    io.stdout(
      `tradeloop realtime run ${runId}: ${opts.symbols.join(',')} ${opts.interval} from ${opts.feed === 'nats' ? `stream ${opts.stream} on ${redactUrl(opts.nats!)}` : redactUrl(opts.wsUrl)} (paper only)${opts.minutes !== null ? `, ${opts.minutes} min` : ', until SIGINT/SIGTERM'}\n`,
    );
    const control = live.control;
    if (control && live.stateDirPath) io.stdout(`  control: ${control.url} (token in ${live.controlPath}); tradeloop status --state ${live.stateDirPath}\n`);
  }
  const control = live.control;
  hooks.onStarted?.({ outDir, runId, engine: live.engine, session: live.session, ...(control ? { controlUrl: control.url, token: control.token } : {}) });
  await Promise.race([stop, live.failure]);
  live.clockOf().clearTimer(minutesTimer);
  const result = await live.stop();
  io.stdout(opts.quiet ? quietLine(result.summary, outDir) : formatSummary(result.summary, `tradeloop run ${runId} (realtime, ${strategy.name})`, outDir));
  signals?.dispose();
  if (result.error === undefined) return 0;
  io.stderr(`tradeloop: ${result.error}. The session was ended: its output could not be written.\n`);
  return 1;
}
