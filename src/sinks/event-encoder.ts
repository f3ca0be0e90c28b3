/**
 * The in-thread writer's byte path (realtime, --events trading): bar, decision and latency events
 * straight to their lines' bytes, exactly serializeBar's, serializeDecision's and serializeLatency's.
 */
import { formatMoney } from '../domain/price.ts';
import type { LotSteps } from '../events/lot-steps.ts';
import type { BarEvent, DecisionEvent, LatencyEvent } from '../events/types.ts';
import { bytes, put, putInt, putLots, putNumber, putPrice, putText } from './byte-numbers.ts';
import { ACTION, EQUITY, INTENTS, POSITION, putBarLine, QTY, RECORD_ROOM, SEQ, SOURCE, type ByteTarget } from './record-encoder.ts';

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const ACTIONS: Readonly<Record<string, Uint8Array>> = { hold: bytes('hold'), buy: bytes('buy'), sell: bytes('sell') };
const SOURCES: Readonly<Record<string, Uint8Array>> = { csv: bytes('csv'), ws: bytes('ws'), 'rest-backfill': bytes('rest-backfill') };
const LATENCY_FIELDS = [
  ',"eventTime":',
  ',"closeTime":',
  ',"recvTime":',
  ',"modelTime":',
  ',"brokerTime":',
  ',"networkMs":',
  ',"clockOffsetMs":',
  ',"queueMs":',
  ',"sliceMs":',
  ',"modelMs":',
  ',"brokerMs":',
  ',"totalMs":',
].map(bytes);

/** One encoder per writer: heads cached per symbol. Each method answers false: write this event as text. */
export class EventEncoder {
  private readonly barHeads = new Map<string, Uint8Array>();
  private readonly decisionHeads = new Map<string, Uint8Array>();
  private readonly latencyHeads = new Map<string, Uint8Array>();
  private readonly lots: LotSteps;

  /** `lots`: each symbol's lot step, in which a decision's quantities are written. */
  constructor(lots: LotSteps) {
    this.lots = lots;
  }

  private head(cache: Map<string, Uint8Array>, key: string, make: () => string): Uint8Array {
    let hit = cache.get(key);
    if (hit === undefined) {
      hit = bytes(make());
      if (cache.size < 100_000) cache.set(key, hit);
    }
    return hit;
  }

  bar(out: ByteTarget, seq: number, e: BarEvent): boolean {
    const source = SOURCES[e.source];
    if (source === undefined) return false;
    const head = this.head(
      this.barHeads,
      `${e.interval} ${e.symbol}`,
      () => `,"type":"bar","symbol":${JSON.stringify(e.symbol)},"interval":${JSON.stringify(e.interval)},"openTime":`,
    );
    putBarLine(out, seq, head, e.openTime, e.open, e.high, e.low, e.close, e.volume, source);
    return true;
  }

  decision(out: ByteTarget, seq: number, e: DecisionEvent): boolean {
    const action = ACTIONS[e.action];
    if (action === undefined) return false;
    const decimals = this.lots.decimals(e.symbol);
    const head = this.head(this.decisionHeads, e.symbol, () => `,"type":"decision","symbol":${JSON.stringify(e.symbol)},"openTime":`);
    const b = out.reserve(head.length + RECORD_ROOM);
    let at = put(b, out.filled, SEQ);
    at = putInt(b, at, seq);
    at = put(b, at, head);
    at = putInt(b, at, e.openTime);
    at = put(b, at, ACTION);
    at = put(b, at, action);
    at = put(b, at, QTY);
    at = putLots(b, at, e.qty, decimals);
    at = put(b, at, INTENTS);
    at = putInt(b, at, e.intents);
    at = put(b, at, POSITION);
    at = putLots(b, at, e.position, decimals);
    at = put(b, at, EQUITY);
    at = e.equity <= MAX_SAFE_BIG && e.equity >= -MAX_SAFE_BIG ? putPrice(b, at, Number(e.equity)) : putText(b, at, formatMoney(e.equity));
    b[at++] = 125;
    b[at++] = 10;
    out.commit(at);
    return true;
  }

  latency(out: ByteTarget, seq: number, e: LatencyEvent): boolean {
    const source = SOURCES[e.source];
    if (source === undefined) return false;
    const head = this.head(this.latencyHeads, e.symbol, () => `,"type":"latency","symbol":${JSON.stringify(e.symbol)},"openTime":`);
    const b = out.reserve(head.length + RECORD_ROOM + 12 * 40);
    let at = put(b, out.filled, SEQ);
    at = putInt(b, at, seq);
    at = put(b, at, head);
    at = putInt(b, at, e.openTime);
    at = put(b, at, SOURCE);
    at = put(b, at, source);
    b[at++] = 34;
    const f = LATENCY_FIELDS;
    at = putNumber(b, put(b, at, f[0]!), e.eventTime);
    at = putNumber(b, put(b, at, f[1]!), e.closeTime);
    at = putNumber(b, put(b, at, f[2]!), e.recvTime);
    at = putNumber(b, put(b, at, f[3]!), e.modelTime);
    at = putNumber(b, put(b, at, f[4]!), e.brokerTime);
    at = putNumber(b, put(b, at, f[5]!), e.networkMs);
    at = putNumber(b, put(b, at, f[6]!), e.clockOffsetMs);
    at = putNumber(b, put(b, at, f[7]!), e.queueMs);
    at = putNumber(b, put(b, at, f[8]!), e.sliceMs);
    at = putNumber(b, put(b, at, f[9]!), e.modelMs);
    at = putNumber(b, put(b, at, f[10]!), e.brokerMs);
    at = putNumber(b, put(b, at, f[11]!), e.totalMs);
    b[at++] = 125;
    b[at++] = 10;
    out.commit(at);
    return true;
  }
}
