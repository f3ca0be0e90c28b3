/**
 * A bad value as refusals show it: cut to a short prefix. A field can be as long as a line
 * (64 KiB), and a message that repeats it whole floods stderr, summary.json and every skip event
 * without telling the reader more than its start does.
 */
const SHOWN_CHARS = 40;

/** The value itself, or its first 40 characters and "…". */
export function clipValue(text: string): string {
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
}

/** clipValue, JSON-quoted: for text that may hold spaces, quotes or nothing at all. */
export function quoteValue(text: string): string {
  return JSON.stringify(clipValue(text));
}
