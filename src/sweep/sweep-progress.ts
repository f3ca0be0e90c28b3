/**
 * The sweep's progress bar on stderr, shown only when stderr is a terminal: runs done of the grid,
 * failures, runs/s and the time left, redrawn at most four times a second on one line (the run's
 * bar, report/progress.ts, counts rows of files; a sweep counts runs), erased at the end.
 */
import { formatDuration } from '../report/progress.ts';
import type { Clock } from '../telemetry/clock.ts';

const REDRAW_MS = 250;
const WIDTH = 24;

export class SweepProgress {
  private readonly total: number;
  private readonly write: (text: string) => void;
  private readonly clock: Clock;
  private readonly started: number;
  private lastDraw = -Infinity;
  private drawn = false;
  private done = 0;
  private failed = 0;

  constructor(total: number, write: (text: string) => void, clock: Clock) {
    this.total = total;
    this.write = write;
    this.clock = clock;
    this.started = clock.monotonic();
  }

  /** A run ended: redraws when a quarter second has passed since the last drawing. */
  ran(failed: boolean): void {
    this.done++;
    if (failed) this.failed++;
    const now = this.clock.monotonic();
    if (now - this.lastDraw < REDRAW_MS && this.done < this.total) return;
    this.lastDraw = now;
    this.write(`\r${this.line(now)}\x1b[K`);
    this.drawn = true;
  }

  line(now: number): string {
    const elapsed = now - this.started;
    const share = this.total === 0 ? 1 : this.done / this.total;
    const filled = Math.round(share * WIDTH);
    const rate = elapsed > 0 ? (this.done / elapsed) * 1000 : 0;
    const eta = share > 0 ? (elapsed / share) * (1 - share) : Number.NaN;
    const failed = this.failed > 0 ? `  ${this.failed} failed` : '';
    return `  [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${(share * 100).toFixed(1).padStart(5)}%  ${this.done}/${this.total} runs${failed}  ${rate.toFixed(1)} runs/s  ETA ${formatDuration(eta)}`;
  }

  /** Erases the bar before the table is printed. */
  finish(): void {
    if (this.drawn) this.write('\r\x1b[K');
  }
}
