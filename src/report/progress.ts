/**
 * A progress bar on stderr for long static replays, shown only when stderr is a terminal: bars
 * done, bars/s and the time left, redrawn at most four times a second on one line, erased at the
 * end. How far the run is comes from the rows each file cursor has taken against each file's
 * estimated row count (its size over the mean line length of its first 64 KiB).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { Clock } from '../telemetry/clock.ts';

const REDRAW_MS = 250;
const SAMPLE_BYTES = 64 * 1024;

/** Estimated rows of a file: its size over the mean length of the lines in its first 64 KiB. */
export function estimateRows(path: string): number {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(Math.min(SAMPLE_BYTES, size));
    const n = readSync(fd, buf, 0, buf.length, 0);
    let lines = 0;
    for (let i = 0; i < n; i++) if (buf[i] === 10) lines++;
    return lines === 0 ? 1 : Math.max(1, Math.round(size / (n / lines)));
  } finally {
    closeSync(fd);
  }
}

export interface ProgressInput {
  /** Rows taken so far, over every file. */
  rows(): number;
  /** Bars decided so far. */
  bars(): number;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '--:--';
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export class ProgressBar {
  private readonly totalRows: number;
  private readonly input: ProgressInput;
  private readonly write: (text: string) => void;
  private readonly clock: Clock;
  private readonly started: number;
  private lastDraw = -Infinity;
  private drawn = false;

  constructor(files: readonly string[], input: ProgressInput, write: (text: string) => void, clock: Clock) {
    this.totalRows = files.reduce((a, f) => a + estimateRows(f), 0);
    this.input = input;
    this.write = write;
    this.clock = clock;
    this.started = clock.monotonic();
  }

  /** Between chunks: redraws when a quarter second has passed. */
  update(): void {
    const now = this.clock.monotonic();
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    this.write(`\r${this.line(now)}\x1b[K`);
    this.drawn = true;
  }

  line(now: number): string {
    const elapsed = now - this.started;
    const rows = this.input.rows();
    const bars = this.input.bars();
    const done = Math.min(1, rows / this.totalRows);
    const width = 24;
    const filled = Math.round(done * width);
    const rate = elapsed > 0 ? (bars / elapsed) * 1000 : 0;
    const eta = done > 0 ? (elapsed / done) * (1 - done) : NaN;
    return `  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(done * 100).toFixed(1).padStart(5)}%  ${bars.toLocaleString('en-US')} bars  ${Math.round(rate).toLocaleString('en-US')} bars/s  ETA ${formatDuration(eta)}`;
  }

  /** Erases the bar before the summary is printed. */
  finish(): void {
    if (this.drawn) this.write('\r\x1b[K');
  }
}
