/**
 * Parity on the fleet's stream: the bundled bars published into a NATS stream as a publisher puts
 * them there, read by `run --source nats`, give the decisions, orders, fills, cancels, rejects and
 * halts of a `--source csv` run of the same bars (the comparison of csv ↔ realtime parity,
 * test/helpers/trading-events.ts). The first bars are in the stream before the session starts: its
 * warm-up, which the csv run takes with --from from the same bars.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { loadStrategy } from '../../src/strategy/load-strategy.ts';
import { collect } from '../helpers/collect-source.ts';
import { natsSkip } from '../helpers/nats.ts';
import { startRealtime } from '../helpers/realtime-harness.ts';
import { scratchDir } from '../helpers/temp-dir.ts';
import { trading } from '../helpers/trading-events.ts';
import { NatsTape } from './nats-tape.ts';

const SAMPLE = resolve(import.meta.dirname, '..', '..', 'data', 'sample');
const STOPS = resolve(import.meta.dirname, '..', 'fixtures', 'strategies', 'protective-stop.ts');
/** Bars of each symbol in the stream before the session starts: more than either strategy's warm-up. */
const BEFORE = 100;
const skip = natsSkip();

async function compare(t: import('node:test').TestContext, spec: string, params: Record<string, string>): Promise<void> {
  const { bars } = await collect({
    symbols: ['SPY', 'QQQ'],
    files: new Map([
      ['SPY', [join(SAMPLE, 'SPY.csv')]],
      ['QQQ', [join(SAMPLE, 'QQQ.csv')]],
    ]),
  });
  const spy = bars.filter((b) => b.symbol === 'SPY');
  const from = spy[BEFORE]!.openTime;
  const early = bars.filter((b) => b.openTime < from);
  const late = bars.filter((b) => b.openTime >= from);
  assert.equal(early.length, 2 * BEFORE, 'both symbols have a bar at every minute of the sample');

  const common = [
    '--symbols',
    'SPY,QQQ',
    '--strategy',
    spec,
    ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
    '--max-position-notional',
    '40000',
    '--max-gross-exposure',
    '60000',
  ];
  const csvOut = scratchDir('tl-nats-parity-csv-');
  const code = await main(
    ['run', '--source', 'csv', '--data', SAMPLE, '--from', new Date(from).toISOString(), ...common, '--out', csvOut, '--quiet'],
    { stdout: () => {}, stderr: () => {} },
    {},
  );
  assert.equal(code, 0);
  const expected = trading(join(csvOut, 'events.ndjson'));
  const decisions = expected.filter((e) => e.includes('"type":"decision"')).length;
  assert.equal(decisions, late.length);
  assert.ok(expected.some((e) => e.includes('"type":"fill"')));
  assert.ok(
    expected.some((e) => e.includes('"type":"reject"')),
    'the limits bind at least once',
  );

  const tape = await NatsTape.start(t, { server: 'own', stream: 'TL_PARITY' });
  for (const b of early) await tape.publish(b);
  const run = await startRealtime({
    sourceArgs: ['--source', 'nats', '--nats', tape.url, '--stream', 'TL_PARITY'],
    args: common,
    strategy: await loadStrategy(spec, params),
  });
  try {
    // Published as a publisher would, each bar as it "closes": slice by slice, in --symbols order within a minute or not.
    for (const b of late) void tape.publish(b);
    await tape.settle();
    await run
      .waitFor('every bar decided', (r) => r.of('decision').length === decisions, 60_000)
      .catch((err: Error) => {
        // What the session saw, so that a timeout is a diagnosis.
        const seen = run
          .events()
          .filter((e) => ['skip', 'feed', 'alert', 'halt'].includes(String(e.type)))
          .slice(-8)
          .map((e) => JSON.stringify(e));
        throw new Error(
          `${err.message}: ${run.of('decision').length} of ${decisions} decided; feed ${JSON.stringify(run.session.status().feed)}\n${seen.join('\n')}`,
        );
      });
  } finally {
    await run.stop();
  }
  const actual = trading(join(run.outDir, 'events.ndjson'));
  const first = actual.findIndex((line, i) => line !== expected[i]);
  assert.equal(first, -1, `first difference at trading event ${first}:\n  csv   ${expected[first]}\n  nats  ${actual[first]}`);
  assert.equal(actual.length, expected.length);
  const start = run.of('run_start')[0]!;
  assert.deepEqual([start.mode, start.source, start.stream], ['realtime', 'nats', 'TL_PARITY'], 'run_start says where the bars came from');
  const summary = JSON.parse(readFileSync(join(run.outDir, 'summary.json'), 'utf8')) as {
    warmupBars: Record<string, number>;
    stream: unknown;
    feed: Record<string, number>;
    cash: string;
    positions: unknown;
  };
  const csv = JSON.parse(readFileSync(join(csvOut, 'summary.json'), 'utf8')) as typeof summary;
  // The csv run reads every bar before --from as history; the session asks the stream for as many as the strategy wants.
  const want = Math.min((await loadStrategy(spec, params)).warmup, BEFORE);
  assert.deepEqual(summary.warmupBars, { SPY: want, QQQ: want }, "the strategy's warm-up, from the stream");
  assert.deepEqual([summary.cash, summary.positions], [csv.cash, csv.positions]);
  assert.deepEqual(summary.stream, { name: 'TL_PARITY', server: tape.url });
  assert.equal(summary.feed.closedBars, late.length);
  assert.equal(summary.feed.streamReadThrough, bars.length, 'read to the end of the stream');
  assert.equal(run.of('skip').length, 0);
}

test('the bundled bars through the stream (--source nats) and through --source csv: identical decisions, orders, fills and rejects', { skip }, async (t) => {
  await compare(t, 'sma-cross', { pct: '30' });
});

test('a strategy module protecting entries with stops: identical through the stream and through csv', { skip }, async (t) => {
  await compare(t, STOPS, { qty: '75' });
});
