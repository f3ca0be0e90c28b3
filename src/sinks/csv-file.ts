/**
 * A CSV file written as the run goes (trades.csv, equity.csv), through the event log's own line
 * writer: rows are encoded into a reusable buffer and full buffers go out as asynchronous
 * positional writes from a small pool, so the loop neither holds the file in memory nor waits on
 * the disk (a synchronous write here sat behind the event log's writes on the same disk).
 */
import { EventLogError } from './event-log-error.ts';
import { NdjsonWriter } from './ndjson-writer.ts';

/**
 * A file that cannot be written (a full disk) never throws into the loop: its first failure is
 * kept in `failed` and told to `onFailure` once (the run ends on it), and the file takes no more rows.
 */
export class CsvFile {
  private readonly out: NdjsonWriter;
  private readonly onFailure: ((failure: EventLogError) => void) | undefined;
  private failure: EventLogError | null = null;
  rows = 0;

  constructor(path: string, header: string, onFailure?: (failure: EventLogError) => void) {
    this.out = new NdjsonWriter(path, { batchBytes: 256 * 1024, poolSize: 2 });
    this.onFailure = onFailure;
    this.write(header);
  }

  get failed(): EventLogError | null {
    return this.failure;
  }

  row(line: string): void {
    if (this.write(line)) this.rows++;
  }

  private write(line: string): boolean {
    if (this.failure) return false;
    try {
      this.out.writeLine(line);
      return true;
    } catch (err) {
      this.fail(err);
      return false;
    }
  }

  /** Hands what is held to the OS (realtime: every turn). */
  flush(): void {
    if (this.failure) return;
    try {
      this.out.flush();
    } catch (err) {
      this.fail(err);
    }
  }

  /** Closes the file whatever failed; a failure at close is kept like any other. */
  async close(): Promise<void> {
    try {
      await this.out.close();
    } catch (err) {
      if (this.failure === null) this.fail(err);
    }
  }

  private fail(err: unknown): void {
    if (!(err instanceof EventLogError)) throw err;
    this.failure = err;
    this.onFailure?.(err);
  }
}

/** A field as CSV: quoted only when it holds a comma, a quote or a line break. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A line of one of our tables back into its fields: the inverse of csvField. */
export function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}
