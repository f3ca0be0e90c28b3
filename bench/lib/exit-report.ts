/**
 * Preloaded (`node --import`) into every process the static bench times: when the process is about
 * to exit, writes {maxRssKb, cpuMs, aliveMs} as one JSON line to file descriptor 3, a pipe the
 * bench reads, so the measured program's own output is left alone. The main thread only: the
 * preload also runs in worker threads, whose exit is not the process's.
 */
import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  process.once('exit', () => {
    // npx tradeloop re-runs itself with its heap flags: the wrapper's figures are not the run's.
    if (process.env.TRADELOOP_WRAPPER) return;
    const u = process.resourceUsage();
    const report = { maxRssKb: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, aliveMs: performance.now() };
    try {
      writeSync(3, JSON.stringify(report) + '\n');
    } catch {
      // Not started by the bench (no fd 3): nothing to report to.
    }
  });
}
