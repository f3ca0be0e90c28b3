/**
 * The halt file (--halt-file, default DIR/HALT): when it appears, an operator halt whose detail is
 * its first line (HALTED, or REDUCING if that line is `reducing`); when it is removed, that halt
 * is lifted. Watched with fs.watch, and polled every few tens of ms as well, because watch events
 * are not delivered on every file system (network mounts, some containers). The first check runs
 * at start, so a session started while the file exists is halted before its first bar.
 */
import { closeSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Clock, TimerHandle } from '../telemetry/clock.ts';

export const HALT_FILE_POLL_MS = 25;

export interface HaltFileState {
  readonly present: boolean;
  /** First line, at most 200 characters. */
  readonly line: string;
}

function readFirstLine(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').split(/\r?\n/)[0]!.trim().slice(0, 200);
  } finally {
    closeSync(fd);
  }
}

export function readHaltFile(path: string): HaltFileState {
  try {
    if (!statSync(path).isFile()) return { present: true, line: '' };
    return { present: true, line: readFirstLine(path) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { present: false, line: '' };
    // Present but unreadable: an operator put it there; it still halts.
    return { present: true, line: '' };
  }
}

export class HaltFileWatcher {
  readonly path: string;
  private readonly clock: Clock;
  private readonly onChange: (state: HaltFileState) => void;
  private last: HaltFileState = { present: false, line: '' };
  private timer: TimerHandle | null = null;
  private watcher: FSWatcher | null = null;
  private stopped = false;

  constructor(path: string, clock: Clock, onChange: (state: HaltFileState) => void) {
    this.path = path;
    this.clock = clock;
    this.onChange = onChange;
  }

  /** Checks once now (synchronously), then watches and polls. */
  start(): void {
    this.check();
    try {
      const name = basename(this.path);
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        if (file === null || file === name) this.check();
      });
      this.watcher.on('error', () => {
        // The poll still runs: a watch that fails (folder removed, too many watches) loses nothing.
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimer(() => {
      this.check();
      this.schedule();
    }, HALT_FILE_POLL_MS);
  }

  check(): void {
    if (this.stopped) return;
    const now = readHaltFile(this.path);
    if (now.present === this.last.present && now.line === this.last.line) return;
    this.last = now;
    this.onChange(now);
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimer(this.timer);
    this.timer = null;
    this.watcher?.close();
    this.watcher = null;
  }
}
