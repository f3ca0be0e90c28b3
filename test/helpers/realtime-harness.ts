/** Runs realtime mode in-process against a fake server, on a virtual clock, for tests. */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseRunOptions, type RunOptions } from '../../src/cli/run-options.ts';
import { runRealtime } from '../../src/cli/realtime-run.ts';
import type { Engine } from '../../src/engine/engine.ts';
import type { Session } from '../../src/session/session.ts';
import { loadStrategy } from '../../src/strategy/load-strategy.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';
import { until } from './fake-binance.ts';
import { scratchDir } from './temp-dir.ts';

export interface RealtimeRun {
  readonly clock: VirtualClock;
  readonly outDir: string;
  readonly engine: Engine;
  readonly session: Session;
  readonly controlUrl: string | undefined;
  readonly token: string | undefined;
  readonly stdout: string[];
  /** The run's exit code, once it has ended (by stop(), or by itself). */
  readonly done: Promise<number>;
  events(): Array<Record<string, unknown>>;
  of(type: string): Array<Record<string, unknown>>;
  waitFor(what: string, cond: (r: RealtimeRun) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<number>;
}

export interface HarnessOptions {
  readonly wsUrl?: string;
  readonly restUrl?: string;
  /** The flags that name the source instead of --source realtime --ws-url --rest-url (a session on the fleet's stream: --source nats --nats URL). */
  readonly sourceArgs?: readonly string[];
  readonly args?: readonly string[];
  readonly strategy?: Strategy;
  readonly tradingHalted?: boolean;
  readonly lifetimeMs?: number;
  /** Sees the run's virtual clock before the run starts (e.g. to step its wall clock later). */
  readonly onClock?: (clock: VirtualClock) => void;
  /** The --out folder (default: a fresh temporary one). */
  readonly outDir?: string;
}

export async function startRealtime(o: HarnessOptions): Promise<RealtimeRun> {
  const outDir = o.outDir ?? scratchDir('tradeloop-rt-');
  const source = o.sourceArgs ?? ['--source', 'realtime', '--ws-url', o.wsUrl ?? '', '--rest-url', o.restUrl ?? ''];
  const opts = parseRunOptions([...source, '--out', outDir, ...(o.args ?? [])]) as RunOptions;
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
    { clock, random: () => 0.5, stopSignal, onStarted: (info) => (started = info), ...(o.lifetimeMs ? { lifetimeMs: o.lifetimeMs } : {}) },
  );
  // A run that fails to start must fail the test, not leave it waiting.
  await Promise.race([
    until(() => started !== null, 'realtime run started'),
    done.then((code) => {
      if (started === null) throw new Error(`the realtime run ended before it started (exit ${code}): ${stdout.join('')}`);
    }),
  ]);
  const s = started!;
  const run: RealtimeRun = {
    clock,
    outDir,
    engine: s.engine,
    session: s.session,
    controlUrl: s.controlUrl,
    token: s.token,
    stdout,
    done,
    events() {
      const path = join(outDir, 'events.ndjson');
      if (!existsSync(path)) return [];
      return readFileSync(path, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    of(type) {
      return run.events().filter((e) => e.type === type);
    },
    async waitFor(what, cond, timeoutMs = 5000) {
      await until(() => cond(run), what, timeoutMs);
    },
    async stop() {
      stopRun();
      return done;
    },
  };
  return run;
}
