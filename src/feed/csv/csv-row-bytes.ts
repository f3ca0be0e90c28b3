/**
 * The fast path for one CSV row: from its bytes straight to integer ticks, without a string per
 * line or per field. It accepts only rows it can read with certainty, in the plain forms files
 * use (ASCII, no quotes, no padding; ISO-8601 times or whole epoch numbers; prices and volumes as
 * digits with a decimal point), and gives exactly the Bar parseRow would. Anything else (a bad
 * value, an exponent, a quote, a two-column date and time, a day-first date) answers null, and
 * the caller parses the row as text with parseRow: every refusal and its message stay parseRow's.
 */
import { closeTimeOf, nominalIntervalMs, isInterval } from '../../domain/interval.ts';
import { utcDay } from '../../domain/time.ts';
import type { Bar } from '../../domain/types.ts';
import type { RowContext } from './csv-row.ts';

const _ROLE_SKIP = 0;
const ROLE_TIME = 1;
const ROLE_OPEN = 2;
const ROLE_HIGH = 3;
const ROLE_LOW = 4;
const ROLE_CLOSE = 5;
const ROLE_VOLUME = 6;

const COMMA = 44;
const DOT = 46;
const QUOTE = 34;
/** The price parser's bound (price.ts): whole units above 90,000,000 are refused, so ticks stay below this. */
/** 90,000,000 (MAX_PRICE_TEXT) in ticks: the largest price accepted, itself included. */
const MAX_TICKS = 9_000_000_000_000_000;
/** One more digit past this would not stay exact below 2^53: the text path reads such a price. */
const MAX_PRICE_DIGITS = 9e14;
const PRICE_SCALE = 100_000_000;
/** A volume of more digits than this bound's 15 might not stay exact as a double: the text path reads it. */
const MAX_EXACT_DIGITS = 1e14;
const MS_PER_HOUR = 3_600_000;
const MAX_OFFSET_MINUTES = 14 * 60;
const MAX_DATE_MS = 8.64e15;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/** Where the last field parser stopped: the byte after its field's last (a comma, or the line's end). */
let at = 0;

export class ByteRowParser {
  private readonly ctx: RowContext;
  private readonly roles: Uint8Array;
  private readonly columns: number;
  /** The interval's length when it is fixed (closeTime = openTime + length - 1), else 0 (1M). */
  private readonly fixedMs: number;
  /** False when the layout has no fast path (the date and the time in two columns). */
  readonly usable: boolean;
  private dayKey = -1;
  private dayMs = 0;

  constructor(ctx: RowContext) {
    this.ctx = ctx;
    const l = ctx.layout;
    this.columns = l.columns;
    this.roles = new Uint8Array(l.columns);
    this.roles[l.time] = ROLE_TIME;
    this.roles[l.open] = ROLE_OPEN;
    this.roles[l.high] = ROLE_HIGH;
    this.roles[l.low] = ROLE_LOW;
    this.roles[l.close] = ROLE_CLOSE;
    this.roles[l.volume] = ROLE_VOLUME;
    this.usable = l.timeOfDay < 0 && isInterval(ctx.interval);
    this.fixedMs = ctx.interval === '1M' ? 0 : nominalIntervalMs(ctx.interval);
  }

  /** The Bar of b[start, end), or null: parse this row as text. One pass: each field is read where it stands. */
  parse(b: Buffer, start: number, end: number): Bar | null {
    if (!this.usable || start >= end) return null;
    const roles = this.roles;
    const last = this.columns - 1;
    let open = 0;
    let high = 0;
    let low = 0;
    let close = 0;
    let vol = 0;
    let stamp = NaN;
    at = start;
    for (let col = 0; col <= last; col++) {
      switch (roles[col]) {
        case ROLE_TIME:
          stamp = this.time(b, at, end);
          break;
        case ROLE_OPEN:
          open = price(b, at, end);
          break;
        case ROLE_HIGH:
          high = price(b, at, end);
          break;
        case ROLE_LOW:
          low = price(b, at, end);
          break;
        case ROLE_CLOSE:
          close = price(b, at, end);
          break;
        case ROLE_VOLUME:
          vol = volume(b, at, end);
          break;
        default:
          skipField(b, at, end);
      }
      if (at < 0) return null;
      // Each field ends at a comma, the last at the line's end: a column more or less is parseRow's to name.
      if (col < last) {
        if (at >= end || b[at] !== COMMA) return null;
        at++;
      } else if (at !== end) return null;
    }
    if (!(open > 0 && high > 0 && low > 0 && close > 0 && vol >= 0 && !Number.isNaN(stamp))) return null;
    if (high < low || open > high || open < low || close > high || close < low) return null;
    const ctx = this.ctx;
    const openTime = stamp - ctx.labelShiftMs;
    return {
      symbol: ctx.symbol,
      interval: ctx.interval,
      openTime,
      closeTime: this.fixedMs > 0 ? openTime + this.fixedMs - 1 : closeTimeOf(ctx.interval, openTime),
      open,
      high,
      low,
      close,
      volume: vol,
      source: 'csv',
    };
  }

  /** parseTimestamp's ISO-8601 and epoch readings, in the forms files write them; NaN (with at = -1): the text path. */
  private time(b: Buffer, from: number, end: number): number {
    if (end - from >= 10 && b[from + 4] === 45 && b[from + 7] === 45) return this.iso(b, from, end);
    // An epoch: whole digits, at most 15 of them (exact as a double); the unit by magnitude.
    let v = 0;
    let i = from;
    for (; i < end; i++) {
      const d = b[i]! - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    const n = i - from;
    if (n === 0 || n > 15) return fail();
    at = i;
    const ms = v < 1e11 ? v * 1000 : v < 1e14 ? v : Math.floor(v / 1000);
    return ms > MAX_DATE_MS ? fail() : ms;
  }

  private iso(b: Buffer, from: number, end: number): number {
    const y = digits4(b, from);
    const mo = digits2(b, from + 5);
    const d = digits2(b, from + 8);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31) return fail();
    const key = y * 10_000 + mo * 100 + d;
    if (key !== this.dayKey) {
      const dayMs = utcDay(y, mo, d);
      if (new Date(dayMs).getUTCDate() !== d) return fail();
      this.dayKey = key;
      this.dayMs = dayMs;
    }
    let ms = this.dayMs;
    let i = from + 10;
    if (i < end && b[i] !== COMMA) {
      const sep = b[i];
      if (sep !== 32 && sep !== 84 /* T */) return fail();
      if (end - i < 6 || b[i + 3] !== 58) return fail();
      const h = digits2(b, i + 1);
      const mi = digits2(b, i + 4);
      if (h < 0 || h > 23 || mi < 0 || mi > 59) return fail();
      ms += h * MS_PER_HOUR + mi * 60_000;
      i += 6;
      if (i < end && b[i] === 58) {
        if (end - i < 3) return fail();
        const s = digits2(b, i + 1);
        if (s < 0 || s > 59) return fail();
        ms += s * 1000;
        i += 3;
        if (i < end && b[i] === DOT) {
          // The same arithmetic as parseIso, so fractions round the same way.
          let j = i + 1;
          let frac = 0;
          let scale = 100;
          while (j < end) {
            const c = b[j]! - 48;
            if (c < 0 || c > 9) break;
            frac += c * scale;
            scale /= 10;
            j++;
          }
          if (j === i + 1) return fail();
          ms += Math.floor(frac);
          i = j;
        }
      }
    }
    if (i === end || b[i] === COMMA) {
      at = i;
      const zone = this.ctx.zone;
      return zone === null ? ms : zone.localToUtc(ms);
    }
    const z = b[i];
    if (z === 90 /* Z */) {
      at = i + 1;
      return ms;
    }
    if (z !== 43 && z !== 45) return fail();
    // ±HH:MM or ±HHMM, and then the field ends.
    const oh = digits2(b, i + 1);
    const colon = b[i + 3] === 58 ? 1 : 0;
    const om = digits2(b, i + 3 + colon);
    if (oh < 0 || om < 0 || om >= 60 || i + 5 + colon > end) return fail();
    const minutes = oh * 60 + om;
    if (minutes > MAX_OFFSET_MINUTES) return fail();
    at = i + 5 + colon;
    return z === 43 ? ms - minutes * 60_000 : ms + minutes * 60_000;
  }
}

function fail(): number {
  at = -1;
  return NaN;
}

/** A column the bar does not use: up to its comma; a quote or a non-ASCII byte sends the row to the text path. */
function skipField(b: Buffer, from: number, end: number): void {
  let i = from;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === COMMA) break;
    if (c === QUOTE || c >= 128) {
      at = -1;
      return;
    }
  }
  at = i;
}

/** Two ASCII digits at b[at..] as a number, or -1 (a byte past the buffer reads as undefined: -1 too). */
function digits2(b: Buffer, at: number): number {
  const hi = b[at]! - 48;
  const lo = b[at + 1]! - 48;
  return hi >= 0 && hi <= 9 && lo >= 0 && lo <= 9 ? hi * 10 + lo : -1;
}

function digits4(b: Buffer, at: number): number {
  const hi = digits2(b, at);
  const lo = digits2(b, at + 2);
  return hi >= 0 && lo >= 0 ? hi * 100 + lo : -1;
}

/**
 * parsePriceRange for digits with an optional decimal point, up to the field's end (a comma or the
 * line's end): integer ticks of 1e-8. One pass reads the digits as one integer and counts the
 * decimals; up to 8 decimals that integer times 10^(8 - decimals) is the ticks, exactly (it stays
 * below 2^53 within the price bound). 0 (and at = -1) for anything else, 9 decimals or more
 * included (rounded by the text path), a sign, a space, an exponent, a quote, out of range.
 */
function price(b: Buffer, from: number, end: number): number {
  let v = 0;
  let decimals = -1;
  let i = from;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === COMMA) break;
    if (c === DOT) {
      if (decimals >= 0) return fail0();
      decimals = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9 || v > MAX_PRICE_DIGITS) return fail0();
    v = v * 10 + d;
    if (decimals >= 0) decimals++;
  }
  // A whole part is required ("5." is one, ".5" is not), and 9 decimals or more need rounding.
  if (decimals > 8 || i === from || b[from] === DOT) return fail0();
  const ticks = decimals <= 0 ? v * PRICE_SCALE : v * POW10[8 - decimals]!;
  if (ticks > MAX_TICKS) return fail0();
  at = i;
  return ticks;
}

function fail0(): number {
  at = -1;
  return 0;
}

/**
 * Number(text) for digits with an optional decimal point, exactly: the digits as an integer below
 * 2^53 over a power of ten up to 10^22 are both exact doubles, and IEEE division rounds correctly,
 * which is what Number() does with the decimal. -1 (and at = -1) for anything else.
 */
function volume(b: Buffer, from: number, end: number): number {
  let m = 0;
  let scale = 0;
  let seenDot = false;
  let i = from;
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === COMMA) break;
    if (c === DOT && !seenDot) {
      seenDot = true;
      continue;
    }
    if (c < 48 || c > 57 || m >= MAX_EXACT_DIGITS) return fail1();
    m = m * 10 + (c - 48);
    if (seenDot) scale++;
  }
  const digitCount = i - from - (seenDot ? 1 : 0);
  if (digitCount === 0 || scale > 22 || (seenDot && scale === 0)) return fail1();
  at = i;
  return scale === 0 ? m : m / POW10[scale]!;
}

function fail1(): number {
  at = -1;
  return -1;
}
