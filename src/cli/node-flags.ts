/**
 * Heap flags for a run, which Node reads only at start: `npx tradeloop run` re-runs itself with
 * them (bin/tradeloop.js). TRADELOOP_NODE_DEFAULTS=1 keeps Node's defaults.
 *
 * - Realtime: a session allocates for every message, for days. V8 sizes its young generation for
 *   the busiest burst it has seen and the heap follows, and RSS stays there: a soak of 100 symbols
 *   over a compressed day with cut and silenced connections peaked at 286 MiB with the defaults,
 *   147 MiB with a 2 MiB semi-space (npm run bench:soak), with no bar lost.
 * - Static: the other way round. Bars wait in their file's chunk (a few thousand rows) to be
 *   merged and outlive a small young generation, so they were promoted and the old generation grew
 *   with the input; a 32 MiB semi-space lets them die young: faster, and a flatter peak RSS.
 */
export const REALTIME_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];
export const STATIC_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** The flags these CLI arguments' run wants; none for anything but `run`. */
export function nodeFlagsFor(argv: readonly string[]): readonly string[] {
  if (argv[0] !== 'run' || argv.includes('--help') || argv.includes('-h')) return [];
  return isRealtimeRun(argv) ? REALTIME_NODE_FLAGS : STATIC_NODE_FLAGS;
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
