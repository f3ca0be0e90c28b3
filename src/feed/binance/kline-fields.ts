/**
 * What every kline must satisfy, from either wire (a WebSocket `k` object or a REST row): times on
 * the interval's grid with the close time the bar's last ms (Binance's T is openTime + interval - 1;
 * a calendar month for 1M), prices positive decimal strings with open and close inside [low, high],
 * volume a non-negative decimal. One function, so a bar is refused the same way on both paths.
 */
import { closeTimeOf, isOnGrid } from '../../domain/interval.ts';
import { parsePrice } from '../../domain/price.ts';
import { isoUtc } from '../../domain/time.ts';
import { parseVolume } from '../../domain/volume.ts';
import type { Bar } from '../../domain/types.ts';

export type KlineValues = Pick<Bar, 'openTime' | 'closeTime' | 'open' | 'high' | 'low' | 'close' | 'volume'>;

export type KlineCheck = { readonly ok: true; readonly value: KlineValues } | { readonly ok: false; readonly message: string };

/** How the caller names each field in messages: `k.o` on the WebSocket, `open` in a REST row. */
export type FieldNames = Readonly<Record<'t' | 'T' | 'o' | 'h' | 'l' | 'c' | 'v', string>>;

/** Network text in a message: quoted, and cut short, so a huge field cannot flood the log. */
export function shown(value: unknown, max = 60): string {
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value.length > max ? value.slice(0, max) : value) : String(JSON.stringify(value));
  } catch {
    text = typeof value;
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function timesProblem(interval: string, openTime: number, closeTime: number, names: FieldNames): string | null {
  if (!isOnGrid(interval, openTime)) return `${names.t} ${openTime} (${isoUtc(openTime)}) is not on the ${interval} grid`;
  const expected = closeTimeOf(interval, openTime);
  if (closeTime !== expected) return `${names.T} ${closeTime} is not the last ms of the ${interval} bar opening at ${names.t} (expected ${expected})`;
  return null;
}

export function checkKline(interval: string, f: Readonly<Record<'t' | 'T' | 'o' | 'h' | 'l' | 'c' | 'v', unknown>>, names: FieldNames): KlineCheck {
  const bad = (message: string): KlineCheck => ({ ok: false, message });
  if (!Number.isSafeInteger(f.t)) return bad(`${names.t} (open time) is missing or not an integer: ${shown(f.t)}`);
  if (!Number.isSafeInteger(f.T)) return bad(`${names.T} (close time) is missing or not an integer: ${shown(f.T)}`);
  const openTime = f.t as number;
  const closeTime = f.T as number;
  const times = timesProblem(interval, openTime, closeTime, names);
  if (times) return bad(times);
  const prices = { o: 0, h: 0, l: 0, c: 0 };
  for (const k of ['o', 'h', 'l', 'c'] as const) {
    const v = f[k];
    const p = typeof v === 'string' && v.length <= 64 ? parsePrice(v) : NaN;
    if (!(p > 0)) return bad(`${names[k]} is not a positive decimal string: ${shown(v)}`);
    prices[k] = p;
  }
  const volume = typeof f.v === 'string' && f.v.length <= 64 ? parseVolume(f.v) : NaN;
  if (!(volume >= 0)) return bad(`${names.v} is not a non-negative decimal string: ${shown(f.v)}`);
  if (prices.h < prices.l) return bad(`high ${shown(f.h)} is below low ${shown(f.l)}`);
  if (prices.o > prices.h || prices.o < prices.l || prices.c > prices.h || prices.c < prices.l) {
    return bad(`open or close is outside [low, high]`);
  }
  return { ok: true, value: { openTime, closeTime, open: prices.o, high: prices.h, low: prices.l, close: prices.c, volume } };
}
