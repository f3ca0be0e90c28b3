/**
 * Live bars and REST answers racing in the per-symbol pipeline: bars let go from memory while a
 * backfill fails are fetched again, also when more are let go while that request is in flight;
 * a bar the REST answer lacks is counted as undelivered, never lost silently; and a healthy
 * backfill in flight lets nothing go. The REST server is real (127.0.0.1); its answers are held
 * and released by the test, so every interleaving is chosen, not timed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { bar, FakeBinance, until } from '../../helpers/fake-binance.ts';
import { RestClient } from '../../../src/feed/binance/rest-client.ts';
import { SymbolPipeline } from '../../../src/feed/live/symbol-pipeline.ts';
import { restBackfill } from '../../../src/feed/binance/binance-feed.ts';
import { VirtualClock } from '../../../src/telemetry/clock.ts';
import type { FeedItem, FeedPort, ReceivedBar } from '../../../src/engine/feed-port.ts';
import { parsePrice } from '../../../src/domain/price.ts';

const BASE = Date.UTC(2026, 0, 5);
const SYMBOL = 'BTCUSDT';

interface Rig {
  readonly fake: FakeBinance;
  readonly clock: VirtualClock;
  readonly pipeline: SymbolPipeline;
  readonly items: FeedItem[];
  readonly halts: string[];
  readonly alerts: Array<{ kind: string; message: string }>;
  /** A closed bar of minute m from the socket. */
  live(m: number): void;
  /** The next klines request is answered only when the test says so. */
  holdNext(): { readonly arrived: () => boolean; answer(keep?: (openTime: number) => boolean): void };
  /** Minutes delivered to the loop, in order, and where each came from. */
  delivered(): string[];
  close(): Promise<void>;
}

async function rig(maxPendingPerSymbol: number, restMinutes: number): Promise<Rig> {
  const fake = await FakeBinance.start([SYMBOL]);
  for (let m = 0; m <= restMinutes; m++) fake.restBars.get(SYMBOL)!.push(bar(SYMBOL, m, 100 + m));
  const clock = new VirtualClock();
  const items: FeedItem[] = [];
  const halts: string[] = [];
  const alerts: Array<{ kind: string; message: string }> = [];
  const output: FeedPort = {
    push: (item) => (items.push(item), true),
    feedState: () => {},
    raiseHalt: (r) => halts.push(`+${r}`),
    liftHalt: (r) => halts.push(`-${r}`),
    alert: (kind, message) => alerts.push({ kind, message }),
    quote: () => {},
  };
  const abort = new AbortController();
  const pipeline = new SymbolPipeline({
    interval: '1m',
    clock,
    backfill: restBackfill(new RestClient(fake.restUrl, 5_000), '1m'),
    output,
    random: () => 0.5,
    signal: abort.signal,
    onBackfillChange: () => {},
    maxPendingPerSymbol,
  });
  pipeline.seed(SYMBOL, BASE);
  return {
    fake,
    clock,
    pipeline,
    items,
    halts,
    alerts,
    live(m) {
      const b = bar(SYMBOL, m, 100 + m);
      const price = parsePrice(b.close);
      const item: ReceivedBar = {
        kind: 'bar',
        eventTime: 0,
        recvWall: 0,
        recvMono: 0,
        newestOpenTime: b.openTime,
        bar: {
          symbol: SYMBOL,
          interval: '1m',
          openTime: b.openTime,
          closeTime: b.openTime + 59_999,
          open: price,
          high: parsePrice(b.high),
          low: parsePrice(b.low),
          close: price,
          volume: 1,
          source: 'ws',
        },
      };
      assert.equal(pipeline.closed(item, 'btcusdt@kline_1m'), 'ok');
    },
    holdNext() {
      let held: { res: ServerResponse; rows: unknown[][] } | null = null;
      fake.onKlines = (_url, res, honest) => {
        fake.onKlines = null;
        held = { res, rows: honest };
        return true;
      };
      return {
        arrived: () => held !== null,
        answer(keep = () => true) {
          const { res, rows } = held!;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(rows.filter((r) => keep(r[0] as number))));
        },
      };
    },
    delivered() {
      return items.map((i) => (i.kind === 'bar' ? `${(i.bar.openTime - BASE) / 60_000} ${i.bar.source}` : `skip ${i.event.reason}`));
    },
    async close() {
      pipeline.stop();
      abort.abort();
      await fake.close();
    },
  };
}

const minute = (m: number): number => BASE + m * 60_000;

/**
 * Minute 1 is missing. Its backfill fails once; minutes 2..6 come meanwhile and 2, 3 are let go
 * (at most 3 held). The retry asks for 1..3 and is held while minutes 7, 8 come: 4, 5 are let go
 * too, and the retry's answer (1..3) is followed by one more round for 4..5.
 */
async function failThenRace(r: Rig, lastRound: (openTime: number) => boolean = () => true): Promise<void> {
  r.fake.failKlines = 1;
  r.live(2);
  await until(() => r.halts.includes('+gap'), 'the first backfill attempt failed');
  for (let m = 3; m <= 6; m++) r.live(m);
  assert.equal(r.pipeline.heldBars, 3);
  const retry = r.holdNext();
  r.clock.advance(30_000);
  await until(retry.arrived, 'the retry reached the server');
  r.live(7);
  r.live(8);
  assert.equal(r.pipeline.undelivered().count, 7, 'held and let go alike are owed');
  const continuation = r.holdNext();
  retry.answer();
  await until(continuation.arrived, 'the round for the bars let go meanwhile reached the server');
  continuation.answer(lastRound);
  await until(() => r.halts.includes('-gap'), 'the backfill ended');
}

test('bars let go while the retry of a failed backfill is in flight are all fetched again: none lost, all once, in order', async () => {
  const r = await rig(3, 20);
  try {
    await failThenRace(r);
    const rest = (ms: number[]) => ms.map((m) => `${m} rest-backfill`);
    const ws = (ms: number[]) => ms.map((m) => `${m} ws`);
    assert.deepEqual(r.delivered(), [...rest([1, 2, 3]), ...rest([4, 5]), ...ws([6, 7, 8])]);
    const asked = r.fake.restRequests.map((u) => Number(u.searchParams.get('startTime')));
    assert.deepEqual(asked, [minute(1), minute(1), minute(4)], 'the last round starts at the first bar it owes');
    assert.equal(r.pipeline.undelivered().count, 0);
    assert.deepEqual(r.halts, ['+gap', '-gap']);
  } finally {
    await r.close();
  }
});

test('a bar let go and then missing from the REST answer is counted as undelivered with the reason, and alerted', async () => {
  const r = await rig(3, 20);
  try {
    await failThenRace(r, (openTime) => openTime !== minute(5));
    assert.deepEqual(
      r.delivered().map((d) => Number(d.split(' ')[0])),
      [1, 2, 3, 4, 6, 7, 8],
    );
    const owed = r.pipeline.undelivered();
    assert.equal(owed.count, 1);
    assert.deepEqual(owed.bySymbol, { [SYMBOL]: 1 });
    assert.equal(owed.reasons.length, 1);
    assert.match(owed.reasons[0]!, new RegExp(SYMBOL));
    assert.match(owed.reasons[0]!, /backfill/);
    const alert = r.alerts.filter((a) => a.kind === 'backfill').at(-1);
    assert.ok(alert?.message.includes(SYMBOL), 'an alert names the symbol when the loss is found');
  } finally {
    await r.close();
  }
});

test('a healthy backfill in flight lets no held bar go: one request, and every live bar comes from the socket', async () => {
  const r = await rig(3, 20);
  try {
    const first = r.holdNext();
    r.live(2);
    await until(first.arrived, 'the backfill reached the server');
    for (let m = 3; m <= 9; m++) r.live(m);
    assert.equal(r.pipeline.heldBars, 8);
    first.answer();
    await until(() => r.items.length === 9, 'every bar delivered');
    assert.deepEqual(r.delivered(), ['1 rest-backfill', ...Array.from({ length: 8 }, (_, i) => `${i + 2} ws`)]);
    assert.equal(r.fake.restRequests.length, 1);
    assert.equal(r.pipeline.undelivered().count, 0);
    assert.deepEqual(r.halts, []);
  } finally {
    await r.close();
  }
});
