/**
 * `run --source csv` at the command line: the static session (session/static-session.ts) with what
 * a person at a terminal adds: a progress bar, Ctrl-C to stop after the chunk in hand, the summary
 * printed, and the notes worth reading after the run.
 */
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Flags } from '../config/flags.ts';
import type { EventSink } from '../events/event-bus.ts';
import { ProgressBar } from '../report/progress.ts';
import type { SessionConfig } from '../session/session-config.ts';
import { StaticSession, type StaticRunResult } from '../session/static-session.ts';
import type { Strategy } from '../strategy/strategy.ts';
import { systemClock } from '../telemetry/clock.ts';
import type { CliIo } from './cli-io.ts';
import { formatSummary, quietLine } from './run-summary.ts';
import { listenForStop } from './stop-signals.ts';

export type { CliIo } from './cli-io.ts';
export type { StaticRunResult } from '../session/static-session.ts';

/** The synthetic bars that come with tradeloop (npm start). */
const BUNDLED_SAMPLE = fileURLToPath(new URL('../../data/sample/', import.meta.url));

/** What a program driving a run adds: sinks that see every event as the run makes it. */
export interface StaticRunExtras {
  readonly sinks?: readonly EventSink[];
}

export async function runStatic(
  opts: SessionConfig,
  flags: Flags,
  strategy: Strategy,
  strategyHash: string | null,
  io: CliIo,
  extras: StaticRunExtras = {},
): Promise<StaticRunResult> {
  const session = await StaticSession.open({ config: opts, flags, strategy, strategyHash, terminal: io, sinks: extras.sinks ?? [] });
  const { runId, outDir } = session;
  const counter = session.counter;
  const progress =
    io.stderrTTY && counter
      ? new ProgressBar([...opts.files.values()].flat(), { rows: () => session.rowsRead(), bars: () => counter.of('bar') }, io.stderr, systemClock)
      : null;
  // Ctrl-C stops the replay after the chunk in hand: the summary covers what was decided (status incomplete).
  const signals = listenForStop(io, { unwritten: () => `summary.json and run_end (events.ndjson ends at what its writer thread had received)` });
  void signals.requested.then((signal) => session.stop(signal));
  let result: StaticRunResult;
  try {
    result = await session.run(() => progress?.update());
  } finally {
    signals.dispose();
  }
  progress?.finish();
  if (result.summary === null) {
    const place = opts.journal !== null ? `--session ${opts.journal.session}` : `--state ${opts.stateDir}`;
    io.stdout(
      `tradeloop run ${runId}: this run is complete in ${place} (ended ${result.alreadyEnded}): nothing to resume, and its files in ${outDir} are left as they are. For a new run, use another ${place.split(' ')[0]}.\n`,
    );
    return result;
  }
  if (result.error !== undefined) io.stderr(`tradeloop: ${result.error}\n`);
  io.stdout(opts.quiet ? quietLine(result.summary, outDir) : formatSummary(result.summary, `tradeloop run ${runId} (static, csv, ${strategy.name})`, outDir));
  if (result.hint && !opts.quiet) io.stdout(result.hint);
  // `npm start` runs on the bundled sample: its numbers must not be read as a market's.
  const bundled = opts.symbols.some((s) => (opts.files.get(s) ?? []).some((f) => resolve(f).startsWith(BUNDLED_SAMPLE)));
  if (bundled && !opts.quiet)
    io.stdout(
      `  note          ${relative(process.cwd(), BUNDLED_SAMPLE) || 'data/sample'} is synthetic (made by scripts/generate-sample.ts) for trying tradeloop: its results say nothing about a market. Real minutes: --data DIR or --file SYMBOL=PATH.\n`,
    );
  return result;
}
