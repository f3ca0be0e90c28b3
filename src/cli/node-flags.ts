/**
 * Node flags for a run or a sweep, which Node reads only at start: `npx tradeloop run|sweep`
 * re-runs itself with them (bin/tradeloop.js). TRADELOOP_NODE_DEFAULTS=1 keeps Node's defaults.
 *
 * - Realtime: a session allocates for every message, for days. V8 sizes its young generation for
 *   the busiest burst it has seen and the heap follows, and RSS stays there: a soak of 100 symbols
 *   over a compressed day with cut and silenced connections peaked at 286 MiB with the defaults,
 *   147 MiB with a 2 MiB semi-space (npm run bench:soak), with no bar lost.
 * - Static: the other way round. Bars wait in their file's chunk (a few thousand rows) to be
 *   merged and outlive a small young generation, so they were promoted and the old generation grew
 *   with the input; a 32 MiB semi-space lets them die young: faster, and a flatter peak RSS.
 */
import { availableParallelism } from 'node:os';

export const REALTIME_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
export const STATIC_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/**
 * A sweep whose workers take every core: V8's parallel GC helpers then only contend with the
 * workers for the cores (and sync with them), where with a core free they run on it. Measured on 2
 * cores, 16 runs of 200,000 bars: --jobs 2 took 5.04–5.12 s with it against 5.26–5.59 s without.
 * (A worker thread cannot be given V8 flags of its own: they are the process's.)
 */
export const SWEEP_ALL_CORES_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];

/** The flags these CLI arguments want: a run's heap flags, a sweep's over every core; none for anything else. */
export function nodeFlagsFor(argv: readonly string[], cores: number = availableParallelism()): readonly string[] {
  if (argv.includes('--help') || argv.includes('-h')) return [];
  if (argv[0] === 'sweep') return sweepJobs(argv, cores) >= cores ? SWEEP_ALL_CORES_NODE_FLAGS : [];
  if (argv[0] !== 'run') return [];
  return isRealtimeRun(argv) ? REALTIME_NODE_FLAGS : STATIC_NODE_FLAGS;
}

/** A sweep's --jobs (default: the cores); 0 for a value the sweep will refuse itself. */
function sweepJobs(argv: readonly string[], cores: number): number {
  let text: string | undefined;
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--jobs') text = argv[i + 1];
    else if (argv[i]!.startsWith('--jobs=')) text = argv[i]!.slice('--jobs='.length);
  }
  if (text === undefined) return cores;
  return /^[1-9][0-9]*$/.test(text) ? Number(text) : 0;
}

/** Whether these CLI arguments start a realtime run (`run ... --source realtime|nats` or `--source=realtime|nats`). */
export function isRealtimeRun(argv: readonly string[]): boolean {
  if (argv[0] !== 'run') return false;
  const live = (v: string | undefined): boolean => v === 'realtime' || v === 'nats';
  for (let i = 1; i < argv.length; i++) {
    if (argv[i] === '--source' && live(argv[i + 1])) return true;
    if (argv[i]!.startsWith('--source=') && live(argv[i]!.slice('--source='.length))) return true;
  }
  return false;
}
