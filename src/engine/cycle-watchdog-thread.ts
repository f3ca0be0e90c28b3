/**
 * The watchdog's own thread (see cycle-watchdog.ts). It reads the loop's shared control array and,
 * once a cycle has stayed active past the timeout, does everything with synchronous syscalls: the
 * loop's thread is stuck, so nothing queued for it would ever run.
 */
import { fsyncSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { workerData } from 'node:worker_threads';
import { W_ACTIVE, W_OPEN_TIME, W_SEQ, W_SYMBOL, type WatchdogOptions } from './cycle-watchdog.ts';

const options = workerData as WatchdogOptions & { control: SharedArrayBuffer };
const control = new Float64Array(options.control);
const every = Math.max(50, Math.min(1000, options.timeoutMs / 5));
let seen = -1;
let since = Date.now();

function keepCommitted(): string {
  const log = options.log;
  if (log === null) return 'events.ndjson keeps what its writer thread had received';
  const state = new Float64Array(log.state);
  const committed = state[1]!;
  const position = state[2]!;
  try {
    if (committed > 0) writeSync(log.fd, new Uint8Array(log.buffer), 0, committed, position);
    fsyncSync(log.fd);
    return `${options.logPath} keeps every cycle before this one`;
  } catch (err) {
    return `${options.logPath} could not be completed (${(err as Error).message})`;
  }
}

/**
 * The loop's thread is stuck, so its summary will never be written: a stub takes its place (into
 * the room reserved for it at start, so a full disk does not stop it), saying why the run ended and
 * that the tables stop short. A reader finds status "error" instead of a hidden file and no summary.
 */
function stubSummary(why: string, kept: string): string {
  const dir = dirname(options.logPath);
  const reserved = join(dir, '.summary.json.reserved');
  const summary = {
    status: 'error',
    verdict: `error: cycle watchdog: ${why}`,
    error: `cycle watchdog: ${why}`,
    stub: `written by the cycle watchdog as it ended the process (exit status 140): ${kept}; trades.csv and equity.csv stop short or are empty, and no figure was computed`,
  };
  try {
    writeFileSync(reserved, JSON.stringify(summary, null, 2) + '\n');
    renameSync(reserved, join(dir, 'summary.json'));
    return 'a stub summary.json says so';
  } catch (err) {
    return `summary.json was not written (${(err as Error).message})`;
  }
}

setInterval(() => {
  const seq = control[W_SEQ]!;
  if (control[W_ACTIVE] !== 1 || seq !== seen) {
    seen = control[W_ACTIVE] === 1 ? seq : -1;
    since = Date.now();
    return;
  }
  const stuck = Date.now() - since;
  if (stuck < options.timeoutMs) return;
  const symbol = options.symbols[control[W_SYMBOL]!] ?? '?';
  const bar = new Date(control[W_OPEN_TIME]!).toISOString();
  const kept = keepCommitted();
  const why = `strategy ${options.strategy} has not returned from ${symbol} bar ${bar} for ${Math.round(stuck / 1000)} s (--cycle-timeout ${options.timeoutMs / 1000})`;
  const stub = stubSummary(why, kept);
  writeSync(2, `tradeloop: cycle watchdog: ${why}. Ending the process (exit status 140); ${kept}; ${stub}. Fix the strategy, or raise --cycle-timeout.\n`);
  process.kill(process.pid, 'SIGUSR2');
}, every);
