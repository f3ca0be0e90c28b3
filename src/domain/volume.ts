/**
 * Volume from text. It stays a float (no money depends on it), but only plain decimal text is a
 * volume: Number() would also read "0x1F", "0b11", " " (as 0), "Infinity" and "1e999" (as
 * Infinity), and a file or message holding those is broken, not busy.
 */

/** Plain decimal text, optionally signed and with an exponent ("12.5", "-3", "1e3", ".5"), padded by spaces at most. */
function isDecimalText(text: string, start: number, end: number): boolean {
  let i = start;
  while (i < end && text.charCodeAt(i) === 32) i++;
  while (end > i && text.charCodeAt(end - 1) === 32) end--;
  if (i < end && (text.charCodeAt(i) === 43 || text.charCodeAt(i) === 45)) i++;
  let digits = 0;
  while (i < end && isDigit(text.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (i < end && text.charCodeAt(i) === 46) {
    i++;
    while (i < end && isDigit(text.charCodeAt(i))) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return false;
  if (i < end && (text.charCodeAt(i) === 101 || text.charCodeAt(i) === 69)) {
    i++;
    if (i < end && (text.charCodeAt(i) === 43 || text.charCodeAt(i) === 45)) i++;
    const from = i;
    while (i < end && isDigit(text.charCodeAt(i))) i++;
    if (i === from) return false;
  }
  return i === end;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Parses a volume; NaN unless it is plain decimal text giving a finite number. The sign is kept,
 * so that the caller can say "negative" rather than "not a number".
 */
export function parseVolume(text: string): number {
  return parseVolumeRange(text, 0, text.length);
}

/** The same rule for any float a person or a file gives (a strategy's decimal parameter). */
export const parsePlainNumber = parseVolume;

/** parseVolume on text[start, end). */
export function parseVolumeRange(text: string, start: number, end: number): number {
  if (!isDecimalText(text, start, end)) return NaN;
  const value = Number(start === 0 && end === text.length ? text : text.slice(start, end));
  return Number.isFinite(value) ? value : NaN;
}
