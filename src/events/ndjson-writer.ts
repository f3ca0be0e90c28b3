/**
 * Appends event lines to events.ndjson with synchronous writes of batched text. A synchronous
 * write is its own backpressure: memory stays flat however fast bars come, and whatever was
 * written survives a crash of the process (it sits in the OS, not in a Node buffer).
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import type { EventSink } from './event-bus.ts';

export interface NdjsonWriterOptions {
  /** Write once this many characters are pending (static runs: large batches). */
  readonly batchChars?: number;
  /** Write at the end of every cycle (realtime: a crash loses no decided cycle). */
  readonly flushEachCycle?: boolean;
}

export class NdjsonWriter implements EventSink {
  private readonly fd: number;
  private pending = '';
  private readonly batchChars: number;
  private readonly flushEachCycle: boolean;
  private closed = false;

  constructor(path: string, options: NdjsonWriterOptions = {}) {
    this.fd = openSync(path, 'w');
    this.batchChars = options.batchChars ?? 1 << 20;
    this.flushEachCycle = options.flushEachCycle ?? false;
  }

  write(_seq: number, _event: unknown, line: string): void {
    this.pending += line + '\n';
    if (this.pending.length >= this.batchChars) this.flush();
  }

  endCycle(): void {
    if (this.flushEachCycle) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    writeSync(this.fd, this.pending);
    this.pending = '';
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.closed = true;
  }
}
