/**
 * An event as JSON for a screen (the dashboard): its integers as the log writes them, but as
 * strings (money is a bigint, which JSON has no number for; a quantity is shown in asset units).
 * The event's own fields, in its own order; the rest of a value is left as it is.
 */
import { formatMoney, formatPrice } from '../domain/price.ts';
import type { LotSteps } from './lot-steps.ts';
import { EVENT_SCHEMA, type FieldKind } from './schema.ts';
import type { EventType, TradeEvent } from './types.ts';

const KINDS = new Map<EventType, ReadonlyMap<string, FieldKind>>((Object.keys(EVENT_SCHEMA) as EventType[]).map((type) => [type, new Map(EVENT_SCHEMA[type])]));

export function eventView(event: TradeEvent, lots: LotSteps): Record<string, unknown> {
  const kinds = KINDS.get(event.type)!;
  const symbol = (event as { symbol?: unknown }).symbol;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(event)) {
    const kind = kinds.get(name);
    if (kind === 'ticks' || kind === 'ticks?') out[name] = formatPrice(value as number);
    else if (kind === 'money') out[name] = formatMoney(value as bigint);
    else if (kind === 'lots') out[name] = lots.text(symbol as string, value as number);
    else out[name] = value;
  }
  return out;
}
