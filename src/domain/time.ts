/**
 * Timestamps from data and flags. Never Date.parse or new Date(string): V8 reads a zone-less
 * "2025-01-01 03:00:00" as local time, so a run would depend on the machine's TZ. Zone-less times
 * are UTC, or the zone the caller names, by construction.
 */

const MS_PER_HOUR = 3_600_000;
/** Zone offsets change on quarter hours at the finest (Australia/Adelaide switches at 16:30Z). */
const OFFSET_STEP_MS = 900_000;
/** The widest zone offset in use, either way: UTC+14:00 (Line Islands). */
const MAX_OFFSET_MINUTES = 14 * 60;
/** The range a Date can hold (±100,000,000 days): an epoch beyond it is not a time. */
const MAX_DATE_MS = 8.64e15;

/** Epoch number → ms, deciding s/ms/µs/ns per value by magnitude (dumps cross the 2025 ms→µs switch). */
export function epochToMs(value: number): number {
  const abs = Math.abs(value);
  if (abs < 1e11) return value * 1000; // seconds until the year 5138
  if (abs < 1e14) return value; // milliseconds
  if (abs < 1e17) return Math.floor(value / 1000); // microseconds (Binance spot dumps from 2025)
  return Math.floor(value / 1_000_000); // nanoseconds
}

export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Offset of a zone from UTC at a UTC instant, in ms (America/New_York in winter: -5 h). */
export class ZoneOffsets {
  private readonly format: Intl.DateTimeFormat;
  private readonly cache = new Map<number, number>();
  readonly zone: string;

  constructor(zone: string) {
    this.zone = zone;
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  offsetAt(utcMs: number): number {
    const step = Math.floor(utcMs / OFFSET_STEP_MS);
    const hit = this.cache.get(step);
    if (hit !== undefined) return hit;
    const parts: Record<string, number> = {};
    for (const p of this.format.formatToParts(new Date(step * OFFSET_STEP_MS))) {
      if (p.type !== 'literal') parts[p.type] = Number(p.value);
    }
    const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
    const offset = asUtc - step * OFFSET_STEP_MS;
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(step, offset);
    return offset;
  }

  /**
   * Wall-clock fields in this zone → UTC ms. A wall time that happens twice (autumn overlap) is
   * the earlier instant; one that never happens (spring gap) is shifted forward by the gap, as
   * java.time and most libraries do: New York 02:30 on the spring-forward day is 03:30 EDT.
   */
  localToUtc(wallAsUtcMs: number): number {
    const before = this.offsetAt(wallAsUtcMs - 86_400_000);
    const after = this.offsetAt(wallAsUtcMs + 86_400_000);
    const a = wallAsUtcMs - before;
    const b = wallAsUtcMs - after;
    const aValid = this.offsetAt(a) === before;
    const bValid = this.offsetAt(b) === after;
    if (aValid && bValid) return Math.min(a, b);
    if (aValid) return a;
    if (bValid) return b;
    return wallAsUtcMs - before; // in the gap: the offset from before the change
  }
}

function digitsAt(text: string, start: number, count: number): number {
  let v = 0;
  for (let i = start; i < start + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

/** How a day/month-first date ("03/09/2026") is read: 3 September (dmy) or March 9 (mdy). ymd reads none. */
export type DateOrder = 'dmy' | 'mdy' | 'ymd';

/** "03/09/2026", "3.9.2026 9:30", "03-09-2026 09:30:00.250", "3/9/2026 9:30:00 PM": the year last, no zone. */
const DAY_MONTH_FIRST = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?: ?([AaPp])[Mm])?)?$/;

/** Whether the text is a date written day or month first, which only --date-format can read. */
export function isDayMonthFirst(text: string): boolean {
  return DAY_MONTH_FIRST.test(text);
}

/** The two numbers before the year in a day/month-first date: one above 12 shows which is the day. */
export function leadingDateFields(text: string): readonly [number, number] | null {
  const m = DAY_MONTH_FIRST.exec(text);
  return m ? [Number(m[1]), Number(m[3])] : null;
}

/**
 * Parses a timestamp field: an epoch number (s, ms, µs or ns by magnitude), ISO-8601
 * ("2026-03-12 13:30:00+00:00", "2025-01-01T03:00:00Z", "2019-02-15 16:00:00", "2024-02-01"), the
 * same with / or . between year, month and day (MetaTrader writes 2026.03.09), or, when `order`
 * says how, a day/month-first date. A zone-less time is read in `zone` (UTC when null). Returns
 * NaN when the text is not a time.
 */
export function parseTimestamp(text: string, zone: ZoneOffsets | null, order: DateOrder | null = null): number {
  const n = text.length;
  if (n === 0) return NaN;
  const c0 = text.charCodeAt(0);
  const c4 = n >= 5 ? text.charCodeAt(4) : 0;
  if (c4 === 45 /* - */ || ((c4 === 47 /* / */ || c4 === 46) /* . */ && n >= 10 && text.charCodeAt(7) === c4)) return parseIso(text, zone);
  const c1 = n >= 2 ? text.charCodeAt(1) : 0;
  const c2 = n >= 3 ? text.charCodeAt(2) : 0;
  if (isDateSeparator(c1) || isDateSeparator(c2)) {
    return order === 'dmy' || order === 'mdy' ? parseDayMonth(text, zone, order) : NaN;
  }
  if ((c0 >= 48 && c0 <= 57) || c0 === 45) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) return NaN;
    // Whole ms, as ISO text gives: a fractional openTime would break every "next bar" comparison.
    const ms = Math.floor(epochToMs(Number(text)));
    return ms >= -MAX_DATE_MS && ms <= MAX_DATE_MS ? ms : NaN;
  }
  return NaN;
}

/**
 * Date.UTC of a calendar day, for any four-digit year. Date.UTC reads years 0 to 99 as 1900 to
 * 1999: a file's 0050-01-01 would become 1950. setUTCFullYear takes the year as it is.
 */
export function utcDay(y: number, mo: number, d: number): number {
  if (y >= 100) return Date.UTC(y, mo - 1, d);
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  return t.getTime();
}

function isDateSeparator(c: number): boolean {
  return c === 47 || c === 46 || c === 45;
}

function parseDayMonth(text: string, zone: ZoneOffsets | null, order: 'dmy' | 'mdy'): number {
  const m = DAY_MONTH_FIRST.exec(text);
  if (!m) return NaN;
  const d = Number(order === 'dmy' ? m[1] : m[3]);
  const mo = Number(order === 'dmy' ? m[3] : m[1]);
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31)) return NaN;
  const dayMs = utcDay(Number(m[4]), mo, d);
  if (new Date(dayMs).getUTCDate() !== d) return NaN; // 31/02
  let h = m[5] === undefined ? 0 : Number(m[5]);
  if (m[9] !== undefined) {
    // 12-hour clock: 12:05 AM is 00:05, 12:05 PM is 12:05.
    if (h < 1 || h > 12) return NaN;
    h = (h % 12) + (m[9] === 'p' || m[9] === 'P' ? 12 : 0);
  }
  const mi = m[6] === undefined ? 0 : Number(m[6]);
  const sec = m[7] === undefined ? 0 : Number(m[7]);
  if (h > 23 || mi > 59 || sec > 59) return NaN;
  const frac = m[8] === undefined ? 0 : Number(m[8].slice(0, 3).padEnd(3, '0'));
  const ms = dayMs + h * MS_PER_HOUR + mi * 60_000 + sec * 1000 + frac;
  return zone === null ? ms : zone.localToUtc(ms);
}

let lastPrefix = '';
let lastPrefixMs = NaN;

function parseIso(text: string, zone: ZoneOffsets | null): number {
  const n = text.length;
  // Date part, cached: minute bars repeat the same date ten thousand times in a row.
  const prefix = n >= 10 ? text.slice(0, 10) : text;
  let dayMs: number;
  if (prefix === lastPrefix) dayMs = lastPrefixMs;
  else {
    const y = digitsAt(text, 0, 4);
    const mo = digitsAt(text, 5, 2);
    const d = digitsAt(text, 8, 2);
    if (n < 10 || text.charCodeAt(7) !== text.charCodeAt(4) || !(mo >= 1 && mo <= 12) || !(d >= 1 && d <= 31)) return NaN;
    dayMs = utcDay(y, mo, d);
    if (new Date(dayMs).getUTCDate() !== d) return NaN; // 2025-02-30
    lastPrefix = prefix;
    lastPrefixMs = dayMs;
  }
  let ms = dayMs;
  let i = 10;
  if (i < n) {
    const sep = text.charCodeAt(i);
    if (sep !== 32 && sep !== 84 /* T */) return NaN;
    const h = digitsAt(text, 11, 2);
    if (text.charCodeAt(13) !== 58 || !(h <= 23)) return NaN;
    const mi = digitsAt(text, 14, 2);
    if (!(mi <= 59)) return NaN;
    ms += h * MS_PER_HOUR + mi * 60_000;
    i = 16;
    if (i < n && text.charCodeAt(i) === 58) {
      const s = digitsAt(text, 17, 2);
      if (!(s <= 59)) return NaN;
      ms += s * 1000;
      i = 19;
      if (i < n && text.charCodeAt(i) === 46) {
        let j = i + 1;
        let frac = 0;
        let scale = 100;
        while (j < n) {
          const c = text.charCodeAt(j) - 48;
          if (c < 0 || c > 9) break;
          frac += c * scale;
          scale /= 10;
          j++;
        }
        if (j === i + 1) return NaN;
        ms += Math.floor(frac);
        i = j;
      }
    }
  }
  if (i === n) return zone === null ? ms : zone.localToUtc(ms);
  const z = text.charCodeAt(i);
  if (z === 90 /* Z */ && i + 1 === n) return ms;
  if (z === 43 || z === 45) {
    const rest = text.slice(i + 1);
    const m = /^(\d{2}):?(\d{2})$/.exec(rest);
    if (!m) return NaN;
    const minutes = Number(m[1]) * 60 + Number(m[2]);
    // Real offsets run from -12:00 to +14:00 (Kiribati); anything past ±14:00 or with 60+ minutes is a typo.
    if (Number(m[2]) >= 60 || minutes > MAX_OFFSET_MINUTES) return NaN;
    const off = minutes * 60_000;
    return z === 43 ? ms - off : ms + off;
  }
  return NaN;
}

/** ISO-8601 text for an instant, UTC, for people and errors (never parsed back). */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString();
}
