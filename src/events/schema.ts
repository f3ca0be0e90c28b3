/**
 * The wire schema of events.ndjson: for each event type, its fields in the order they are written
 * and the JSON kind of each. One table drives the generic serializer and the validator, so the
 * contract the tests check is the contract the writer follows.
 */
import { BAR_ORIGINS, LIQUIDITIES, ORDER_TYPES, TIME_IN_FORCES } from '../domain/types.ts';
import {
  ALERT_KINDS,
  CANCEL_REASONS,
  FEED_STATES,
  HALT_REASONS,
  HALT_SEVERITIES,
  HALT_SOURCES,
  ORDER_SENDERS,
  ORDER_WAITS,
  PRICE_SOURCES,
  REJECT_REASONS,
  SKIP_REASONS,
  TRADING_STATES,
} from './reasons.ts';
import type { EventType } from './types.ts';

/** str: string; int: integer; num: finite number; dec: exact decimal text written as a JSON number;
 *  ticks / money: integer prices (1e-8) / bigint money, written as exact decimals (JSON numbers);
 *  lots: integer lots of the event's symbol, written as the exact decimal in asset units (see LotSteps);
 *  bool: true or false; json: any JSON value; a trailing ? marks an optional field; |null allows null. */
export type FieldKind =
  | 'str'
  | 'int'
  | 'num'
  | 'num?'
  | 'dec'
  | 'ticks'
  | 'ticks?'
  | 'money'
  | 'lots'
  | 'lots?'
  | 'bool?'
  | 'json'
  | 'json?'
  | 'str?'
  | 'int?'
  | 'dec?'
  | 'str|null'
  | 'int|null'
  | 'num|null';

export const EVENT_SCHEMA: Readonly<Record<EventType, ReadonlyArray<readonly [string, FieldKind]>>> = {
  run_start: [
    ['runId', 'str'],
    ['mode', 'str'],
    ['source', 'str'],
    ['stream', 'str?'],
    ['symbols', 'json'],
    ['interval', 'str'],
    ['strategy', 'str'],
    ['params', 'json'],
    ['cash', 'dec'],
    ['feeBps', 'num?'],
    ['fees', 'json?'],
    ['slippageBps', 'num'],
    ['fillModel', 'str?'],
    ['maxParticipation', 'num?'],
    ['maxPositionNotional', 'dec'],
    ['maxGrossExposure', 'dec'],
    ['lotSizes', 'json'],
    ['inputs', 'json'],
    ['warmup', 'int'],
    ['limits', 'json?'],
    ['restoredHalts', 'json?'],
    ['events', 'str?'],
  ],
  bar: [
    ['symbol', 'str'],
    ['interval', 'str'],
    ['openTime', 'int'],
    ['open', 'ticks'],
    ['high', 'ticks'],
    ['low', 'ticks'],
    ['close', 'ticks'],
    ['volume', 'num'],
    ['source', 'str'],
  ],
  decision: [
    ['symbol', 'str'],
    ['openTime', 'int'],
    ['action', 'str'],
    ['qty', 'lots'],
    ['intents', 'int'],
    ['position', 'lots'],
    ['equity', 'money'],
  ],
  order: [
    ['orderId', 'str'],
    ['symbol', 'str'],
    ['openTime', 'int'],
    ['side', 'str'],
    ['orderType', 'str'],
    ['qty', 'lots'],
    ['limitPrice', 'ticks?'],
    ['stopPrice', 'ticks?'],
    ['trailBps', 'int?'],
    ['takeProfit', 'ticks?'],
    ['stopLoss', 'ticks?'],
    ['parentId', 'str?'],
    ['ocoWith', 'str?'],
    ['timeInForce', 'str?'],
    ['expireAfterBars', 'int?'],
    ['postOnly', 'bool?'],
    ['reduceOnly', 'bool?'],
    ['sentBy', 'str?'],
    ['waitsFor', 'str?'],
  ],
  fill: [
    ['orderId', 'str'],
    ['symbol', 'str'],
    ['openTime', 'int'],
    ['side', 'str'],
    ['qty', 'lots'],
    ['price', 'ticks'],
    ['fee', 'money'],
    ['liquidity', 'str?'],
    ['realizedPnl', 'money'],
    ['cash', 'money'],
    ['position', 'lots'],
    ['remaining', 'lots?'],
    ['priceSource', 'str?'],
    ['priceTime', 'int?'],
  ],
  cancel: [
    ['orderId', 'str'],
    ['symbol', 'str'],
    ['openTime', 'int'],
    ['reason', 'str'],
    ['detail', 'str'],
  ],
  reject: [
    ['symbol', 'str'],
    ['openTime', 'int'],
    ['reason', 'str'],
    ['orderId', 'str?'],
    ['side', 'str'],
    ['qty', 'lots'],
    ['detail', 'str'],
  ],
  skip: [
    ['symbol', 'str|null'],
    ['openTime', 'int|null'],
    ['reason', 'str'],
    ['origin', 'str'],
    ['line', 'int?'],
    ['field', 'str?'],
    ['message', 'str'],
  ],
  halt: [
    ['reason', 'str'],
    ['source', 'str'],
    ['severity', 'str'],
    ['detail', 'str'],
    ['state', 'str'],
    ['at', 'int?'],
  ],
  resume: [
    ['reason', 'str'],
    ['source', 'str'],
    ['state', 'str'],
    ['at', 'int?'],
  ],
  trading_state: [
    ['from', 'str'],
    ['to', 'str'],
    ['halts', 'json'],
    ['source', 'str'],
    ['at', 'int?'],
  ],
  feed: [
    ['state', 'str'],
    ['detail', 'str?'],
    ['at', 'int?'],
  ],
  alert: [
    ['kind', 'str'],
    ['message', 'str'],
    ['at', 'int?'],
  ],
  latency: [
    ['symbol', 'str'],
    ['openTime', 'int'],
    ['source', 'str'],
    ['eventTime', 'int'],
    ['closeTime', 'int'],
    ['recvTime', 'int'],
    ['modelTime', 'int'],
    ['brokerTime', 'int'],
    ['networkMs', 'num'],
    ['clockOffsetMs', 'num'],
    ['queueMs', 'num'],
    ['sliceMs', 'num'],
    ['modelMs', 'num'],
    ['brokerMs', 'num'],
    ['totalMs', 'num'],
  ],
  run_end: [['summary', 'json']],
  run_resume: [
    ['segment', 'int'],
    ['afterSeq', 'int'],
    ['restored', 'json'],
  ],
};

/** Allowed values of the enumerated fields, checked by validateEventLine. */
export const EVENT_ENUMS: Readonly<Record<string, readonly string[]>> = {
  'bar.source': BAR_ORIGINS,
  'decision.action': ['buy', 'sell', 'hold'],
  'order.side': ['buy', 'sell'],
  'order.orderType': ORDER_TYPES,
  'order.sentBy': ORDER_SENDERS,
  // GTC is the default and never written.
  'order.timeInForce': TIME_IN_FORCES.filter((t) => t !== 'GTC'),
  'order.waitsFor': ORDER_WAITS,
  'fill.side': ['buy', 'sell'],
  'fill.priceSource': PRICE_SOURCES,
  'fill.liquidity': LIQUIDITIES,
  'reject.side': ['buy', 'sell'],
  'cancel.reason': CANCEL_REASONS,
  'reject.reason': REJECT_REASONS,
  'skip.reason': SKIP_REASONS,
  'halt.reason': HALT_REASONS,
  'halt.source': HALT_SOURCES,
  'halt.severity': HALT_SEVERITIES,
  'halt.state': TRADING_STATES,
  'resume.reason': HALT_REASONS,
  'resume.source': HALT_SOURCES,
  'resume.state': TRADING_STATES,
  'trading_state.from': TRADING_STATES,
  'trading_state.to': TRADING_STATES,
  'trading_state.source': HALT_SOURCES,
  'feed.state': FEED_STATES,
  'alert.kind': ALERT_KINDS,
  'run_start.mode': ['static', 'realtime'],
};

function kindMatches(kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'str':
      return typeof value === 'string';
    case 'int':
      return Number.isInteger(value);
    case 'num':
    case 'dec':
    case 'ticks':
    case 'money':
    case 'lots':
      return typeof value === 'number' && Number.isFinite(value);
    case 'json':
      return value !== undefined;
    case 'json?':
      return true;
    case 'str?':
      return value === undefined || typeof value === 'string';
    case 'int?':
      return value === undefined || Number.isInteger(value);
    case 'bool?':
      return value === undefined || typeof value === 'boolean';
    case 'lots?':
    case 'num?':
    case 'dec?':
    case 'ticks?':
      return value === undefined || (typeof value === 'number' && Number.isFinite(value));
    case 'str|null':
      return value === null || typeof value === 'string';
    case 'int|null':
      return value === null || Number.isInteger(value);
    case 'num|null':
      return value === null || (typeof value === 'number' && Number.isFinite(value));
  }
}

/** Checks one line of events.ndjson against the schema; returns the problems found (none: []). */
export function validateEventLine(line: string): string[] {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(line) as Record<string, unknown>;
  } catch (err) {
    return [`not JSON: ${(err as Error).message}`];
  }
  const problems: string[] = [];
  if (!Number.isInteger(obj.seq) || (obj.seq as number) < 1) problems.push('seq must be a positive integer');
  const type = obj.type as EventType;
  const fields = EVENT_SCHEMA[type];
  if (!fields) return [...problems, `unknown type ${JSON.stringify(obj.type)}`];
  const known = new Set(['seq', 'type']);
  for (const [name, kind] of fields) {
    known.add(name);
    if (!kindMatches(kind, obj[name])) problems.push(`${type}.${name}: expected ${kind}, got ${JSON.stringify(obj[name])}`);
    const allowed = EVENT_ENUMS[`${type}.${name}`];
    if (allowed && obj[name] !== undefined && !allowed.includes(obj[name] as string)) {
      problems.push(`${type}.${name}: ${JSON.stringify(obj[name])} is not one of ${allowed.join(', ')}`);
    }
  }
  for (const key of Object.keys(obj)) if (!known.has(key)) problems.push(`${type}: unknown field ${key}`);
  return problems;
}
