/**
 * A CSV file written as the run goes (trades.csv, equity.csv): rows collect in a string until
 * 64 KiB, then go out in one synchronous write, so memory stays flat on long runs and nothing
 * waits on a promise in the loop. flush() writes what is held (realtime calls it every turn).
 */
import { closeSync, openSync, writeSync } from 'node:fs';

const BATCH_CHARS = 64 * 1024;

export class CsvFile {
  private readonly path: string;
  /** Opened at the first write: a run refused before its first bar leaves no file handle behind. */
  private fd = -1;
  private held = '';
  private closed = false;
  rows = 0;

  constructor(path: string, header: string) {
    this.path = path;
    this.held = header + '\n';
  }

  row(line: string): void {
    this.held += line + '\n';
    this.rows++;
    if (this.held.length >= BATCH_CHARS) this.flush();
  }

  flush(): void {
    if (this.held.length === 0 || this.closed) return;
    if (this.fd < 0) this.fd = openSync(this.path, 'w');
    const buf = Buffer.from(this.held, 'utf8');
    this.held = '';
    let done = 0;
    while (done < buf.length) done += writeSync(this.fd, buf, done, buf.length - done);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    if (this.fd >= 0) closeSync(this.fd);
    this.closed = true;
  }
}

/** A field as CSV: quoted only when it holds a comma, a quote or a line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
