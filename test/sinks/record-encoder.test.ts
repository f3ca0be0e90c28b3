/**
 * The writer thread writes bar and decision records as bytes without the serializers: for any
 * record, its bytes must be exactly serializeEvent's line. Values are drawn to reach every branch
 * of the number formats: tiny and huge prices, negative equity, integer, fractional, tiny and huge
 * volumes, negative times, symbols with quotes and non-ASCII text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordPacker } from '../../src/sinks/event-records.ts';
import { RecordEncoder, type ByteTarget } from '../../src/sinks/record-encoder.ts';
import { serializeEvent } from '../../src/events/serialize.ts';
import { LotSteps } from '../../src/events/lot-steps.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import { mulberry32 } from '../../scripts/generate-sample.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NdjsonWriter } from '../../src/sinks/ndjson-writer.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

class Collect implements ByteTarget {
  buf = Buffer.alloc(1 << 16);
  filled = 0;
  out: Buffer[] = [];
  reserve(room: number): Buffer {
    if (this.filled + room > this.buf.length) this.drain();
    return this.buf;
  }
  commit(end: number): void {
    this.filled = end;
  }
  writeLine(line: string): void {
    this.drain();
    this.out.push(Buffer.from(line + '\n'));
  }
  drain(): void {
    this.out.push(Buffer.from(this.buf.subarray(0, this.filled)));
    this.filled = 0;
  }
  text(): string {
    this.drain();
    return Buffer.concat(this.out).toString('utf8');
  }
}

const SYMBOLS = ['BTCUSDT', 'SPY', 'BRK.B', '这是测试币456', 'A"B\\C', 'ÉTÉ'];
/** A lot step of its own for each symbol: whole lots, and 1 to 8 decimals. */
const lots = new LotSteps(new Map(SYMBOLS.map((s, k) => [s, [5, 0, 0, 8, 3, 1][k]!] as [string, number])));

function draw(rand: () => number, i: number): TradeEvent {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const ticks = (): number =>
    pick([
      1,
      7,
      99_999_999,
      100_000_000,
      100_000_001,
      9_000_000_000_000_000,
      Math.floor(rand() * 1e13),
      Math.floor(rand() * 1e8) * 1e6,
      Math.floor(rand() * 1e16),
    ]);
  const symbol = pick(SYMBOLS);
  const openTime = pick([0, -60_000, 1_704_067_200_000 + i * 60_000, 8.64e15]);
  if (rand() < 0.5) {
    const decimals = Math.floor(rand() * 13);
    const volume = pick([
      0,
      -0,
      1,
      356_160,
      rand() * 1000,
      rand() * 1e-9,
      1e21,
      2 ** 53 + 2,
      0.1 + 0.2,
      123.456,
      0.000001,
      0.0000009999,
      Math.floor(rand() * 1e8) / 10 ** decimals,
      Math.floor(rand() * 1e15) / 10 ** decimals,
      rand() * 10 ** (Math.floor(rand() * 30) - 10),
      999_999_999_999_999.9,
      99.99999999999999,
    ]);
    return {
      type: 'bar',
      symbol,
      interval: pick(['1m', '1h', '1M']),
      openTime,
      open: ticks(),
      high: ticks(),
      low: ticks(),
      close: ticks(),
      volume,
      source: pick(['csv', 'ws', 'rest-backfill'] as const),
    };
  }
  const equity = pick([0n, 10_000_000_000_000n, -12_345n, BigInt(Math.floor(rand() * 1e15)), -BigInt(Math.floor(rand() * 1e15)), 2n ** 53n - 1n, 10n ** 20n]);
  return {
    type: 'decision',
    symbol,
    openTime,
    action: pick(['hold', 'buy', 'sell'] as const),
    qty: pick([0, 3, 12, 150, 123_456_789, 2 ** 53 - 1, i]),
    intents: pick([0, 1, 2, 17]),
    position: pick([0, -3, 12_345, -150, -(2 ** 53 - 1), 90_000_000_123, i]),
    equity,
  };
}

test("record bytes are exactly the serializers' lines, for values across every number format", () => {
  const rand = mulberry32(20260309);
  const packer = new RecordPacker(512, lots);
  const encoder = new RecordEncoder();
  const target = new Collect();
  let expected = '';
  const flush = (): void => {
    const batch = packer.take();
    encoder.add(batch);
    encoder.encode(batch, target);
  };
  for (let i = 0; i < 50_000; i++) {
    const e = draw(rand, i);
    expected += serializeEvent(i + 1, e, lots) + '\n';
    if (!packer.pack(i + 1, e)) packer.line(serializeEvent(i + 1, e, lots));
    if (packer.full) flush();
  }
  flush();
  const got = target.text();
  if (got !== expected) {
    const a = got.split('\n');
    const b = expected.split('\n');
    const k = a.findIndex((line, i) => line !== b[i]);
    assert.equal(a[k], b[k], `line ${k + 1} differs`);
  }
  assert.equal(got, expected);
});

test("the in-thread writer writes bar, decision and latency events as bytes, exactly the serializers' lines", async (t) => {
  const rand = mulberry32(99);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const ms = (): number => pick([0, -0, 1, 12.5, -3.25, rand() * 100, -rand() * 1e-7, Math.round(rand() * 1e6) / 1000, 1e21, NaN, Infinity, 123_456.789]);
  const path = join(tempDirSync(t, 'tl-enc-'), 'events.ndjson');
  const writer = new NdjsonWriter(path, { batchBytes: 8192, poolSize: 2, lots });
  let expected = '';
  for (let i = 0; i < 30_000; i++) {
    const e: TradeEvent =
      rand() < 0.6
        ? draw(rand, i)
        : {
            type: 'latency',
            symbol: pick(SYMBOLS),
            openTime: 1_704_067_200_000 + i,
            source: pick(['ws', 'rest-backfill'] as const),
            eventTime: 1_704_067_260_000 + i,
            closeTime: 1_704_067_259_999,
            recvTime: Date.now(),
            modelTime: 5,
            brokerTime: 6,
            networkMs: ms(),
            clockOffsetMs: ms(),
            queueMs: ms(),
            sliceMs: ms(),
            modelMs: ms(),
            brokerMs: ms(),
            totalMs: ms(),
          };
    writer.write(i + 1, e);
    expected += serializeEvent(i + 1, e, lots) + '\n';
  }
  await writer.close();
  const got = readFileSync(path, 'utf8');
  if (got !== expected) {
    const a = got.split('\n');
    const b = expected.split('\n');
    const k = a.findIndex((line, i) => line !== b[i]);
    assert.equal(a[k], b[k], `line ${k + 1} differs`);
  }
});
