/**
 * Numeric flag values: plain decimal text within a stated range. Number() alone would take "0x10",
 * "1e9" and " " (as 0), and a duration past 2^31-1 ms makes a Node timer fire at once: every
 * duration and count flag has bounds, and the refusal states them.
 */
import type { Refuse } from './common-flags.ts';

export interface NumberRange {
  readonly min: number;
  readonly max: number;
  /** "seconds", "milliseconds", "bars"... */
  readonly unit: string;
  /** Whole numbers only (counts, milliseconds, minutes). */
  readonly integer: boolean;
}

const WHOLE = /^\d+$/;
const DECIMAL = /^\d+(?:\.\d+)?$/;

/** The value of a numeric flag, `fallback` when it was not given; refused by name and range otherwise. */
export function numberFlag(flag: string, raw: string | undefined, fallback: number, range: NumberRange, refuse: Refuse): number {
  if (raw === undefined) return fallback;
  const text = raw.trim();
  const value = Number(text);
  if (!(range.integer ? WHOLE : DECIMAL).test(text) || value < range.min || value > range.max) {
    throw refuse(`${flag} ${raw}: expected ${range.integer ? 'a whole number' : 'a number'} of ${range.unit} from ${range.min} to ${range.max}.`);
  }
  return value;
}
