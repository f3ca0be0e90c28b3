/**
 * The log's vocabulary, spelled once. The event types (types.ts) and the schema's enums
 * (schema.ts) derive from these arrays, so a reason cannot exist in one and be missing in the other.
 */

export const TRADING_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;
export type TradingStateName = (typeof TRADING_STATES)[number];

/** How much a halt blocks: reducing lets only orders that shrink a position pass; halted lets none. */
export const HALT_SEVERITIES = ['reducing', 'halted'] as const;
export type HaltSeverity = (typeof HALT_SEVERITIES)[number];

export const HALT_REASONS = [
  'flag',
  'operator',
  'halt_file',
  'feed_stale',
  'feed_disconnected',
  'gap',
  'strategy_error',
  'daily_loss',
  'drawdown',
  'journal',
  'margin',
  'fleet',
] as const;
export type HaltReason = (typeof HALT_REASONS)[number];

/** Who raised a halt (and so who may lift it): the environment, the loop itself, an operator command, the halt file, the fleet's kill switch. */
export const HALT_SOURCES = ['flag', 'auto', 'operator', 'file', 'fleet'] as const;
export type HaltSource = (typeof HALT_SOURCES)[number];

export const REJECT_REASONS = [
  'trading_halted',
  'reduce_only',
  'max_position_notional',
  'max_gross_exposure',
  'insufficient_cash',
  'invalid_qty',
  'invalid_limit_price',
  'invalid_stop_price',
  'invalid_order',
  'order_rate',
  'price_band',
  'stale_bar',
  'post_only',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/**
 * Why a working order (or what a partial fill left of it) left the book without filling: the
 * strategy cancelled it; trading was halted or set to reducing; an operator's flatten; the gate's
 * second look at fill time refused it; its bracket (oco: its sibling exit filled or left, the
 * position it protected closed, or, for an entry's unfilled rest, both its exits are gone); its
 * time in force ran out (ioc: its one chance passed; fok: it could not fill whole; expired: GTD's
 * bars ran out); or a reduce-only order found nothing left to reduce.
 */
export const CANCEL_REASONS = [
  'strategy',
  'trading_halted',
  'reducing',
  'operator',
  'max_position_notional',
  'max_gross_exposure',
  'insufficient_cash',
  'oco',
  'ioc',
  'fok',
  'expired',
  'reduce_only',
] as const;
export type CancelReason = (typeof CANCEL_REASONS)[number];

/** gap: bars a resumed session could not backfill (the outage was longer than --max-backfill-bars): a range, never decided. */
export const SKIP_REASONS = ['malformed', 'duplicate', 'out_of_order', 'gap'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const FEED_STATES = ['connecting', 'live', 'stale', 'disconnected', 'backfilling', 'stopped'] as const;
export type FeedState = (typeof FEED_STATES)[number];

export const ALERT_KINDS = [
  'stale',
  'latency',
  'disconnect',
  'trading_state',
  'backfill',
  'queue_full',
  'strategy_error',
  'malformed',
  'loss_limit',
  'control_auth',
  'journal',
  'state_write',
  'limit_breach',
  'stale_price',
  'fleet_auth',
  'fleet_link',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** What an order decided on a backfilled bar waits for before it may fill: the first live bar of its symbol (a market order fills at its open). */
export const ORDER_WAITS = ['live_open'] as const;
export type OrderWait = (typeof ORDER_WAITS)[number];

/** Who placed an order: the strategy (the default, not written) or an operator's flatten. */
export const ORDER_SENDERS = ['strategy', 'operator'] as const;
export type OrderSender = (typeof ORDER_SENDERS)[number];

/** Where an operator's flatten took its fill price: the symbol's last close, or the feed's newest kline update. */
export const PRICE_SOURCES = ['last_close', 'last_update'] as const;
export type PriceSource = (typeof PRICE_SOURCES)[number];
