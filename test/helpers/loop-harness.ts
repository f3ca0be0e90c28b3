/**
 * Realtime mode in-process for tests of the loop, without the command line: the run options are
 * built as a value (loop-options.ts) and the events are held in memory (memory-sink.ts), so a
 * test waits on the event it expects instead of polling events.ndjson. The run still writes its
 * artifacts folder (summary.json, the journal) as the CLI does. realtime-harness.ts is the same
 * through parseRunOptions, for tests of what the flags and the files do.
 */
import { LotSteps } from '../../src/events/lot-steps.ts';
import { runRealtime } from '../../src/cli/realtime-run.ts';
import type { Engine } from '../../src/engine/engine.ts';
import type { Session } from '../../src/session/session.ts';
import { loadStrategy } from '../../src/strategy/load-strategy.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';
import { until } from './fake-binance.ts';
import { loopOptions, type LoopOptionsInput } from './loop-options.ts';
import { MemorySink } from './memory-sink.ts';
import type { HarnessOptions, RealtimeRun } from './realtime-harness.ts';
import { scratchDir } from './temp-dir.ts';

export interface LoopRun extends RealtimeRun {
  /** What the bus emitted, as it emitted it. */
  readonly sink: MemorySink;
}

export interface LoopHarnessOptions extends Omit<HarnessOptions, 'args' | 'wsUrl' | 'restUrl' | 'sourceArgs'> {
  readonly wsUrl: string;
  readonly restUrl: string;
  /** Typed run options over the command line's defaults. */
  readonly options?: Omit<LoopOptionsInput, 'wsUrl' | 'restUrl'>;
}

export async function startLoop(o: LoopHarnessOptions): Promise<LoopRun> {
  const outDir = o.outDir ?? scratchDir('tradeloop-loop-');
  const opts = loopOptions({ wsUrl: o.wsUrl, restUrl: o.restUrl, out: outDir, ...o.options });
  const sink = new MemorySink(LotSteps.of(opts.instruments));
  const strategy = o.strategy ?? (await loadStrategy('hold', {}));
  // Wall time starts at the real now: the fake server stamps E with Date.now().
  const clock = new VirtualClock(Date.now());
  o.onClock?.(clock);
  const stdout: string[] = [];
  let stopRun!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stopRun = resolve));
  let started: { engine: Engine; session: Session; controlUrl?: string; token?: string } | null = null;
  const done = runRealtime(
    opts,
    { realtime: true, tradingHalted: o.tradingHalted ?? false },
    strategy,
    { stdout: (t) => stdout.push(t), stderr: (t) => stdout.push(t) },
    { clock, random: () => 0.5, stopSignal, onStarted: (info) => (started = info), sinks: [sink], ...(o.lifetimeMs ? { lifetimeMs: o.lifetimeMs } : {}) },
  );
  // A run that fails to start must fail the test, not leave it waiting.
  await Promise.race([
    until(() => started !== null, 'realtime run started'),
    done.then((code) => {
      if (started === null) throw new Error(`the realtime run ended before it started (exit ${code}): ${stdout.join('')}`);
    }),
  ]);
  const s = started!;
  const run: LoopRun = {
    clock,
    outDir,
    engine: s.engine,
    session: s.session,
    controlUrl: s.controlUrl,
    token: s.token,
    stdout,
    done,
    sink,
    events: () => [...sink.lines()],
    of: (type) => sink.lines().filter((e) => e.type === type),
    async waitFor(what, cond, timeoutMs = 5000) {
      // Looked at again at each event, and on a short timer for conditions on other state (a server's, the session's).
      const deadline = Date.now() + timeoutMs;
      while (!cond(run)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
        await sink.nextWrite(20);
      }
    },
    async stop() {
      stopRun();
      return done;
    },
  };
  return run;
}
