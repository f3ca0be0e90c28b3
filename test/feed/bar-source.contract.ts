/**
 * What every bar source promises, written once (trading-signals' testIndicatorContract is the
 * model) and run against each implementation: the CSV files source and the in-memory source
 * today, any later one by adding a file that calls barSourceContract.
 */
import assert from 'node:assert/strict';
import { type TestContext, test } from 'node:test';
import type { Bar } from '../../src/domain/types.ts';
import type { SkipEvent } from '../../src/events/types.ts';
import type { BarSource } from '../../src/feed/bar-source.ts';

/** What a source is made from: each symbol's bars in arrival order, and the window. */
export interface SourceSpec {
  readonly symbols: readonly string[];
  readonly bars: Readonly<Record<string, readonly Bar[]>>;
  readonly from: number | null;
  readonly windowMs: number | null;
}

export type MakeSource = (t: TestContext, spec: SourceSpec) => Promise<BarSource>;

const T0 = Date.UTC(2026, 2, 9, 14, 0);
const MIN = 60_000;

/** Prices are ticks of 1e-8 (domain/price.ts): a close of 100 is 100 * 1e8. */
const TICKS = 100_000_000;

export function minuteBar(symbol: string, minute: number, close: number): Bar {
  const openTime = T0 + minute * MIN;
  const c = close * TICKS;
  return { symbol, interval: '1m', openTime, closeTime: openTime + MIN - 1, open: c, high: c + TICKS, low: c - TICKS, close: c, volume: 10, source: 'csv' };
}

interface Seen {
  readonly order: string[];
  readonly skips: SkipEvent[];
  readonly batches: number;
}

async function drain(source: BarSource, afterBatch?: () => void | Promise<void>): Promise<Seen> {
  const order: string[] = [];
  const skips: SkipEvent[] = [];
  let batches = 0;
  await source.open();
  await source.run(
    {
      warmup: (b) => order.push(`w ${b.symbol} ${(b.openTime - T0) / MIN}`),
      bar: (b) => order.push(`${b.symbol} ${(b.openTime - T0) / MIN} ${b.close / TICKS}`),
      skip: (s) => {
        skips.push(s);
        order.push(`skip ${s.reason} ${s.symbol} ${s.openTime === null ? '' : (s.openTime - T0) / MIN}`);
      },
    },
    async () => {
      batches++;
      await afterBatch?.();
    },
  );
  return { order, skips, batches };
}

export function barSourceContract(name: string, make: MakeSource): void {
  test(`${name}: bars in time order, and within one minute in the order of the symbols given`, async (t) => {
    const spec: SourceSpec = {
      symbols: ['QQQ', 'SPY'],
      bars: { SPY: [minuteBar('SPY', 0, 100), minuteBar('SPY', 1, 101), minuteBar('SPY', 3, 103)], QQQ: [minuteBar('QQQ', 1, 201), minuteBar('QQQ', 2, 202)] },
      from: null,
      windowMs: null,
    };
    const seen = await drain(await make(t, spec));
    assert.deepEqual(seen.order, ['SPY 0 100', 'QQQ 1 201', 'SPY 1 101', 'QQQ 2 202', 'SPY 3 103']);
  });

  test(`${name}: a repeated minute is a duplicate skip, an earlier one out_of_order; the bars after go on`, async (t) => {
    const spec: SourceSpec = {
      symbols: ['SPY'],
      bars: { SPY: [minuteBar('SPY', 0, 100), minuteBar('SPY', 2, 102), minuteBar('SPY', 2, 999), minuteBar('SPY', 1, 998), minuteBar('SPY', 3, 103)] },
      from: null,
      windowMs: null,
    };
    const seen = await drain(await make(t, spec));
    assert.deepEqual(seen.order, ['SPY 0 100', 'SPY 2 102', 'skip duplicate SPY 2', 'skip out_of_order SPY 1', 'SPY 3 103']);
    for (const s of seen.skips) assert.ok(s.origin.length > 0 && s.message.length > 0, 'a skip says where it came from and why');
  });

  test(`${name}: bars before from only warm up; the window ends windowMs after its first bar`, async (t) => {
    const bars = [0, 1, 2, 3, 4, 5].map((m) => minuteBar('SPY', m, 100 + m));
    const seen = await drain(await make(t, { symbols: ['SPY'], bars: { SPY: bars }, from: T0 + 2 * MIN, windowMs: 3 * MIN }));
    assert.deepEqual(seen.order, ['w SPY 0', 'w SPY 1', 'SPY 2 102', 'SPY 3 103', 'SPY 4 104']);
  });

  test(`${name}: afterBatch is awaited, and a stop thrown there ends run() with it`, async (t) => {
    const spec: SourceSpec = { symbols: ['SPY'], bars: { SPY: [0, 1, 2].map((m) => minuteBar('SPY', m, 100 + m)) }, from: null, windowMs: null };
    let released = false;
    const seen = await drain(await make(t, spec), async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      released = true;
    });
    assert.ok(seen.batches >= 1);
    assert.equal(released, true, 'run() resolved after the last afterBatch had');
    const source = await make(t, spec);
    await source.open();
    const stop = new Error('stopped');
    await assert.rejects(
      source.run({ warmup: () => {}, bar: () => {}, skip: () => {} }, () => {
        throw stop;
      }),
      (err: unknown) => err === stop,
    );
    assert.equal(source.rowsRead(), 3, 'rows read are counted');
  });
}
