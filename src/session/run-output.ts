/**
 * The artifacts folder of a run (--out), made sure of before any bar is read: events.ndjson is
 * created there and room for summary.json is reserved, so a read-only folder or a full disk is
 * refused at start (exit 2, naming --out) instead of after the whole run was computed.
 *
 * The reservation is what lets summary.json be written when the event log later fills the disk:
 * its blocks are taken now (a hidden file of spaces), overwritten in place at the end, cut to
 * length and renamed to summary.json, none of which needs free space.
 */
import { closeSync, constants, ftruncateSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { NOFOLLOW } from './own-folder.ts';
import { join } from 'node:path';
import { EventLogError } from '../sinks/event-log-error.ts';
import { openLogFile } from '../sinks/ndjson-writer.ts';
import { UsageError } from '../errors.ts';

/** Room kept for summary.json: a base, and its per-symbol lines (bars, warm-up, positions). */
function reserveBytes(symbols: number): number {
  return 16_384 + 512 * symbols;
}

export class RunOutput {
  readonly dir: string;
  readonly eventsPath: string;
  readonly summaryPath: string;
  private readonly reservePath: string;
  private fd: number | null;
  private readonly reserved: number;
  /** A resumed session's log: what it holds is the session's record, never removed. */
  private readonly appended: boolean;

  private constructor(dir: string, fd: number, reserved: number, appended: boolean) {
    this.appended = appended;
    this.dir = dir;
    this.eventsPath = join(dir, 'events.ndjson');
    this.summaryPath = join(dir, 'summary.json');
    this.reservePath = join(dir, '.summary.json.reserved');
    this.fd = fd;
    this.reserved = reserved;
  }

  /**
   * Probes the folder (it exists: makeOutDir made it) or refuses with --out named. `append`: a
   * resumed session, whose events.ndjson is continued, not created anew.
   */
  static open(dir: string, symbols: number, append = false): RunOutput {
    const reservePath = join(dir, '.summary.json.reserved');
    let fd: number | null = null;
    try {
      closeSync(openLogFile(join(dir, 'events.ndjson'), append));
      fd = openSync(reservePath, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | NOFOLLOW, 0o644);
      const bytes = reserveBytes(symbols);
      const spaces = Buffer.alloc(bytes, 0x20);
      let done = 0;
      while (done < bytes) done += writeSync(fd, spaces, done, bytes - done, done);
      return new RunOutput(dir, fd, bytes, append);
    } catch (err) {
      if (fd !== null) closeSync(fd);
      rmSync(reservePath, { force: true });
      const cause = err instanceof EventLogError ? err : EventLogError.from(reservePath, err);
      throw new UsageError(`--out ${dir}: ${cause.message}. The run's files cannot be written there: choose a writable folder with free space.`);
    }
  }

  /** Writes summary.json into the reserved room; an EventLogError if even that fails. */
  writeSummary(text: string): void {
    const fd = this.fd;
    if (fd === null) throw new Error('RunOutput: the summary was written already');
    this.fd = null;
    const bytes = Buffer.from(text);
    try {
      let done = 0;
      while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, done);
      if (bytes.length < this.reserved) ftruncateSync(fd, bytes.length);
    } catch (err) {
      throw EventLogError.from(this.summaryPath, err);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(this.reservePath, this.summaryPath);
    } catch (err) {
      throw EventLogError.from(this.summaryPath, err, 'create');
    }
  }

  /** The run ended without a summary: the reservation goes, and with `refused` the empty log too (not a resumed one). */
  abandon(refused = false): void {
    if (this.fd === null) return;
    closeSync(this.fd);
    this.fd = null;
    rmSync(this.reservePath, { force: true });
    if (refused && !this.appended) rmSync(this.eventsPath, { force: true });
  }
}
