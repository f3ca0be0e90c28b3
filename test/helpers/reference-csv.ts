/**
 * A deliberately simple, slow second reading of a CSV file, written without the code under test:
 * whole-file split, regex timestamps, BigInt decimal rounding. Real-data tests compare the
 * streaming source against it row by row, so a wrong tick or a shifted minute cannot hide in a count.
 */
import { readFileSync } from 'node:fs';

export interface RefRow {
  readonly line: number;
  readonly openTime: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
}

export interface RefOptions {
  /** Minutes east of UTC for zone-less timestamps (EST is -300). Default 0. */
  readonly offsetMinutes?: number;
  /** Subtracted from each timestamp (bars labelled by their end). Default 0. */
  readonly labelShiftMs?: number;
}

/** Decimal text → integer ticks of 1e-8, the 9th decimal rounding half up (prices here are positive). */
export function refTicks(text: string): number {
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new Error(`reference: not a plain decimal: ${text}`);
  const frac = (m[2] ?? '').padEnd(9, '0');
  let ticks = BigInt(m[1]!) * 100_000_000n + BigInt(frac.slice(0, 8));
  if (Number(frac[8]) >= 5) ticks += 1n;
  return Number(ticks);
}

export function refTime(text: string, offsetMinutes: number): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const digits = t.length;
    if (digits <= 10) return Number(t) * 1000;
    if (digits <= 13) return Number(t);
    if (digits <= 16) return Number(BigInt(t) / 1000n);
    throw new Error(`reference: epoch with ${digits} digits: ${t}`);
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(Z|([+-])(\d{2}):(\d{2}))?$/.exec(t);
  if (!m) throw new Error(`reference: not a timestamp: ${t}`);
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (m[7] === undefined) return wall - offsetMinutes * 60_000;
  if (m[7] === 'Z') return wall;
  const off = (Number(m[9]) * 60 + Number(m[10])) * 60_000;
  return m[8] === '+' ? wall - off : wall + off;
}

/** Every data row of the file, in file order. */
export function readReference(path: string, options: RefOptions = {}): RefRow[] {
  const offset = options.offsetMinutes ?? 0;
  const shift = options.labelShiftMs ?? 0;
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const first = lines[0]!.split(',');
  const hasHeader = !/^\d/.test(first[0]!);
  let col = { time: 0, open: 1, high: 2, low: 3, close: 4, volume: 5 };
  if (hasHeader) {
    const names = first.map((n) => n.trim().toLowerCase());
    const at = (...aliases: string[]): number => {
      const i = names.findIndex((n) => aliases.includes(n));
      if (i < 0) throw new Error(`reference: no ${aliases[0]} column in ${path}`);
      return i;
    };
    col = { time: at('timestamp', 'datetime', 'open_time'), open: at('open'), high: at('high'), low: at('low'), close: at('close'), volume: at('volume') };
  }
  const rows: RefRow[] = [];
  for (let i = hasHeader ? 1 : 0; i < lines.length; i++) {
    const f = lines[i]!.split(',');
    rows.push({
      line: i + 1,
      openTime: refTime(f[col.time]!, offset) - shift,
      open: refTicks(f[col.open]!),
      high: refTicks(f[col.high]!),
      low: refTicks(f[col.low]!),
      close: refTicks(f[col.close]!),
      volume: Number(f[col.volume]),
    });
  }
  return rows;
}
