/**
 * Fixed-point prices and money. One parser for csv, WebSocket and REST, so one bar gives the same
 * integers in every mode. Text is never passed through parseFloat: yfinance files hold float32
 * artefacts (670.6300048828125) and Binance sends 8-decimal strings.
 */

export const PRICE_DECIMALS = 8;
export const PRICE_SCALE = 100_000_000;
const SCALE_BIG = 100_000_000n;
/**
 * Prices above this many whole units would not stay exact as a JS number of ticks: 90,000,000 units
 * of 1e-8 is 9e15 ticks, just under 2^53 (9.007e15). Above it a price is refused, not rounded.
 */
const MAX_WHOLE_UNITS = 90_000_000;
/** The largest supported price, as refusals name it. */
export const MAX_PRICE_TEXT = String(MAX_WHOLE_UNITS);

/**
 * Parses a decimal price ("670.63", "46692.06000000", "1e-5") into integer ticks of 1e-8.
 * Digits past the 8th decimal are rounded half away from zero.
 * Returns NaN for anything that is not a finite decimal number within range, so that the caller
 * can name the field: the parser itself knows no file or line. isPriceOutOfRange tells the two
 * apart, off the hot path.
 */
export function parsePrice(text: string): number {
  return parsePriceRange(text, 0, text.length);
}

/** parsePrice on text[start, end), so that a CSV row is parsed without slicing each field. */
export function parsePriceRange(text: string, start: number, stop: number): number {
  let i = start;
  let negative = false;
  // Leading and trailing spaces are tolerated (some CSV writers pad); anything else is not.
  while (i < stop && text.charCodeAt(i) === 32) i++;
  let end = stop;
  while (end > i && text.charCodeAt(end - 1) === 32) end--;
  const from = i;
  if (i < end && (text.charCodeAt(i) === 45 || text.charCodeAt(i) === 43)) {
    negative = text.charCodeAt(i) === 45;
    i++;
  }
  let whole = 0;
  let frac = 0;
  let fracDigits = 0;
  let roundUp = false;
  let digits = 0;
  let c = 0;
  for (; i < end; i++) {
    c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    whole = whole * 10 + (c - 48);
    digits++;
  }
  if (i < end && c === 46) {
    i++;
    for (; i < end; i++) {
      c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      digits++;
      if (fracDigits < PRICE_DECIMALS) {
        frac = frac * 10 + (c - 48);
        fracDigits++;
      } else if (fracDigits === PRICE_DECIMALS) {
        roundUp = c >= 53;
        fracDigits++;
      }
    }
  }
  if (digits === 0) return NaN;
  if (i < end) {
    // Only an exponent may follow ("1e-05" from some exporters): it is rewritten as plain decimal text.
    if (c === 101 || c === 69) return parseExponent(text.slice(from, end));
    return NaN;
  }
  // At most MAX_PRICE_TEXT itself: 90000000.00000001 is past it, as the README says.
  if (whole > MAX_WHOLE_UNITS || (whole === MAX_WHOLE_UNITS && (frac > 0 || roundUp))) return NaN;
  for (let k = Math.min(fracDigits, PRICE_DECIMALS); k < PRICE_DECIMALS; k++) frac *= 10;
  const ticks = whole * PRICE_SCALE + frac + (roundUp ? 1 : 0);
  return negative ? -ticks : ticks;
}

const EXPONENT_FORM = /^([+-]?)(\d*)(?:\.(\d*))?[eE]([+-]?\d+)$/;

/**
 * Mantissa and exponent → the same number as plain decimal text, parsed by the fast path (one
 * rounding rule). The work is bounded before it is done: a first significant digit at 10^8 or
 * above cannot be a price in range (NaN), one below 10^-9 rounds to zero ticks, so no exponent,
 * however long, costs more than the text it came in.
 */
function parseExponent(text: string): number {
  const m = EXPONENT_FORM.exec(text);
  if (!m) return NaN;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  if (intPart.length + fracPart.length === 0) return NaN;
  const digits = intPart + fracPart;
  let first = 0;
  while (first < digits.length && digits.charCodeAt(first) === 48) first++;
  if (first === digits.length) return 0;
  // Power of ten of the first significant digit; Number() of a long exponent is ±Infinity, which compares as it should.
  const power = intPart.length - 1 - first + Number(m[4]);
  if (power >= 8) return NaN;
  const sign = m[1] === '-' ? '-' : '';
  if (power < -9) return sign === '-' ? -0 : 0;
  const significant = digits.slice(first);
  const point = power + 1; // digits of `significant` before the decimal point, -8..8
  let plain: string;
  if (point <= 0) plain = `0.${'0'.repeat(-point)}${significant}`;
  else if (point >= significant.length) plain = significant + '0'.repeat(point - significant.length);
  else plain = `${significant.slice(0, point)}.${significant.slice(point)}`;
  return parsePriceRange(sign + plain, 0, sign.length + plain.length);
}

const DECIMAL_FORM = /^ *[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)? *$/;

/**
 * Whether text[start, end) is a well-formed decimal that parsePrice refused only for its size
 * (above MAX_PRICE_TEXT). For messages, after a NaN: the hot path never calls it.
 */
export function isPriceOutOfRange(text: string, start = 0, end = text.length): boolean {
  const field = start === 0 && end === text.length ? text : text.slice(start, end);
  return DECIMAL_FORM.test(field) && Number.isNaN(parsePrice(field));
}

const CACHE_SIZE = 1021; // prime: cent prices are multiples of 10^6 ticks, a power-of-two mask would waste most slots
const cacheKeys = new Float64Array(CACHE_SIZE).fill(NaN);
const cacheTexts: string[] = new Array<string>(CACHE_SIZE).fill('');

/**
 * Formats integer ticks as the shortest exact decimal ("670.63", "3", "-0.00000001"). A bar's
 * prices repeat (an open is usually the last close), so a small direct-mapped cache pays off.
 */
export function formatPrice(ticks: number): string {
  const slot = (ticks < 0 ? -ticks : ticks) % CACHE_SIZE;
  if (cacheKeys[slot] === ticks) return cacheTexts[slot]!;
  const text = formatTicks(ticks);
  cacheKeys[slot] = ticks;
  cacheTexts[slot] = text;
  return text;
}

function formatTicks(ticks: number): string {
  const negative = ticks < 0;
  const abs = negative ? -ticks : ticks;
  const whole = Math.floor(abs / PRICE_SCALE);
  let frac = abs - whole * PRICE_SCALE;
  if (frac === 0) return negative ? `-${whole}` : `${whole}`;
  // Strip trailing zeros arithmetically: cheaper than building and trimming a padded string.
  let digits = PRICE_DECIMALS;
  while (frac % 10 === 0) {
    frac /= 10;
    digits--;
  }
  const text = `${frac}`;
  const fracText = text.length === digits ? text : '00000000'.slice(0, digits - text.length) + text;
  return negative ? `-${whole}.${fracText}` : `${whole}.${fracText}`;
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** Formats money (bigint of 1e-8 quote units) as the shortest exact decimal. */
export function formatMoney(units: bigint): string {
  // Most amounts fit a double exactly; the number path avoids bigint division on every bar.
  if (units <= MAX_SAFE_BIG && units >= -MAX_SAFE_BIG) return formatPrice(Number(units));
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / SCALE_BIG;
  const rest = abs % SCALE_BIG;
  if (rest === 0n) return `${negative ? '-' : ''}${whole}`;
  let frac = rest.toString().padStart(PRICE_DECIMALS, '0');
  let cut = frac.length;
  while (frac.charCodeAt(cut - 1) === 48) cut--;
  frac = frac.slice(0, cut);
  return `${negative ? '-' : ''}${whole}.${frac}`;
}

/** Money with a fixed number of decimals, for people (the stdout summary). Rounds half up. */
export function formatMoneyFixed(units: bigint, decimals: number): string {
  const step = 10n ** BigInt(PRICE_DECIMALS - decimals);
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const rounded = (abs + step / 2n) / step;
  const unit = 10n ** BigInt(decimals);
  const whole = rounded / unit;
  const frac = (rounded % unit).toString().padStart(decimals, '0');
  return `${negative && rounded !== 0n ? '-' : ''}${whole}${decimals > 0 ? '.' + frac : ''}`;
}

/** Parses a money amount given by a person (--cash 100000.50) into units; NaN-free: null if bad. */
export function parseMoney(text: string): bigint | null {
  if (!/^\s*\d+(\.\d{1,8})?\s*$/.test(text)) return null;
  const [whole = '0', frac = ''] = text.trim().split('.');
  return BigInt(whole) * SCALE_BIG + BigInt(frac.padEnd(PRICE_DECIMALS, '0'));
}
