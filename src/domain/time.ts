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
      year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
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

/**
 * Parses a timestamp field: an epoch number (s, ms, µs or ns by magnitude) or ISO-8601
 * ("2026-03-12 13:30:00+00:00", "2025-01-01T03:00:00Z", "2019-02-15 16:00:00", "2024-02-01").
 * A zone-less time is read in `zone` (UTC when null). Returns NaN when the text is not a time.
 */
export function parseTimestamp(text: string, zone: ZoneOffsets | null): number {
  const n = text.length;
  if (n === 0) return NaN;
  const c0 = text.charCodeAt(0);
  if (n >= 5 && text.charCodeAt(4) === 45 /* - */) return parseIso(text, zone);
  if ((c0 >= 48 && c0 <= 57) || c0 === 45) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) return NaN;
    // Whole ms, as ISO text gives: a fractional openTime would break every "next bar" comparison.
    const ms = Math.floor(epochToMs(Number(text)));
    return ms >= -MAX_DATE_MS && ms <= MAX_DATE_MS ? ms : NaN;
  }
  return NaN;
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
    if (n < 10 || text.charCodeAt(7) !== 45 || !(mo >= 1 && mo <= 12) || !(d >= 1 && d <= 31)) return NaN;
    dayMs = Date.UTC(y, mo - 1, d);
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
