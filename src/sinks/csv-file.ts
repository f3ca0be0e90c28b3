/**
 * A CSV file written as the run goes (trades.csv, equity.csv), through the event log's own line
 * writer: rows are encoded into a reusable buffer and full buffers go out as asynchronous
 * positional writes from a small pool, so the loop neither holds the file in memory nor waits on
 * the disk (a synchronous write here sat behind the event log's writes on the same disk).
 */
import { NdjsonWriter } from './ndjson-writer.ts';

export class CsvFile {
  private readonly out: NdjsonWriter;
  rows = 0;

  constructor(path: string, header: string) {
    this.out = new NdjsonWriter(path, { batchBytes: 256 * 1024, poolSize: 2 });
    this.out.writeLine(header);
  }

  row(line: string): void {
    this.out.writeLine(line);
    this.rows++;
  }

  /** Hands what is held to the OS (realtime: every turn). */
  flush(): void {
    this.out.flush();
  }

  close(): Promise<void> {
    return this.out.close();
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
