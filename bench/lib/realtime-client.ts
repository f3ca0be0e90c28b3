/**
 * The client under test in a process of its own: `run --source realtime` exactly as the CLI runs
 * it (runRealtime with parsed flags, sma-cross, the events log and summary), against the bench's
 * replay server. Spawned by bench/lib/realtime-procs.ts with a JSON ClientSpec; prints one JSON
 * line (ClientResult) when the run is over.
 *
 * The run stops once `expectedBars` bars have been decided: the runner counts engine cycles by
 * wrapping Engine.cycle, one increment after the cycle's broker mark, so the count costs nothing
 * inside the measured segments. A timeout stops it anyway, and says so.
 */
import { parseRunOptions, type RunOptions } from '../../src/cli/run-options.ts';
import { runnerMain } from './json-process.ts';
import { runRealtime } from '../../src/cli/realtime-run.ts';
import { loadStrategy } from '../../src/strategy/load-strategy.ts';

export interface ClientSpec {
  readonly wsUrl: string;
  readonly restUrl: string;
  readonly symbols: readonly string[];
  readonly outDir: string;
  readonly expectedBars: number;
  /** From the feed's start (after the REST checks). */
  readonly timeoutMs: number;
  /** More `run` flags, e.g. ['--queue-size', '20000']. */
  readonly args: readonly string[];
}

export interface ClientResult {
  readonly code: number;
  readonly stderr: string;
  /** Process start of runRealtime → feed started (REST checks of every symbol, warm-up loaded). */
  readonly startupMs: number;
  /** Wall clock (timeOrigin + performance.now(), ms) when the feed started connecting. */
  readonly feedStartedAt: number;
  /** Wall clock (timeOrigin + performance.now(), ms) of the first and of the expected-th decided bar. */
  readonly firstCycleAt: number | null;
  readonly lastCycleAt: number | null;
  readonly cycles: number;
  readonly timedOut: boolean;
  /** process.resourceUsage().maxRSS, KiB. */
  readonly maxRssKb: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
}

function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

async function runClient(spec: ClientSpec): Promise<ClientResult> {
  const opts = parseRunOptions([
    '--source',
    'realtime',
    '--symbols',
    spec.symbols.join(','),
    '--ws-url',
    spec.wsUrl,
    '--rest-url',
    spec.restUrl,
    '--out',
    spec.outDir,
    '--quiet',
    ...spec.args,
  ]) as RunOptions;
  const strategy = await loadStrategy('sma-cross', {});
  const began = performance.now();
  let startupMs = NaN;
  let feedStartedAt = NaN;
  let cycles = 0;
  let firstCycleAt: number | null = null;
  let lastCycleAt: number | null = null;
  let timedOut = false;
  let stop!: () => void;
  const stopSignal = new Promise<void>((resolve) => (stop = resolve));
  let timeout: NodeJS.Timeout | undefined;
  let stderr = '';
  const code = await runRealtime(
    opts,
    { realtime: true, tradingHalted: false },
    strategy,
    {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
    },
    {
      stopSignal,
      // Counts decisions as a sink: the loop is measured as it runs, not patched.
      sinks: [
        {
          write: (_seq, event) => {
            if (event.type !== 'decision') return;
            cycles++;
            if (cycles === 1) firstCycleAt = wallNow();
            if (cycles === spec.expectedBars) {
              lastCycleAt = wallNow();
              clearTimeout(timeout);
              stop();
            }
          },
        },
      ],
      onStarted: () => {
        startupMs = performance.now() - began;
        feedStartedAt = wallNow();
        timeout = setTimeout(() => {
          timedOut = true;
          stop();
        }, spec.timeoutMs);
      },
    },
  );
  clearTimeout(timeout);
  const cpu = process.cpuUsage();
  return {
    code,
    stderr,
    startupMs,
    feedStartedAt,
    firstCycleAt,
    lastCycleAt,
    cycles,
    timedOut,
    maxRssKb: process.resourceUsage().maxRSS,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
  };
}

if (import.meta.main) await runnerMain<ClientSpec, unknown>('realtime-client.ts', '{"wsUrl":"ws://...","restUrl":"http://...","symbols":[...],...}', runClient);
