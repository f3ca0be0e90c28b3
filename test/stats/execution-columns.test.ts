/**
 * What trades.csv and the summary say about execution, end to end: each round trip's entry and exit
 * order types, who sent the exit, and its slippage against the closes of the bars that decided its
 * orders; the run's total slippage in summary.json and on the terminal. Checked by hand on five
 * tiny bars, the same under `--events trading` (whose log has no bar lines), and recomputed from
 * the event log on a run with stops, stop-limits and trailing stops.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { TRADES_HEADER } from '../../src/stats/run-statistics.ts';
import { toUnits } from '../../src/stats/decimal.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';
import { repoRoot } from '../helpers/shared-data.ts';
import { fixture, tempDir } from '../helpers/temp-dir.ts';

const EXIT_MIX = join(repoRoot, 'test', 'fixtures', 'strategies', 'exit-mix.ts');
const PROTECTIVE = join(repoRoot, 'test', 'fixtures', 'strategies', 'protective-stop.ts');

function rows(dir: string): Array<Record<string, string>> {
  const [header, ...lines] = readFileSync(join(dir, 'trades.csv'), 'utf8').trimEnd().split('\n');
  const cols = header!.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v])));
}

// exit-mix with tp=100, sl=100 (1 %), hold=3; slippage 10 bps (0.1 %), no fee, next-open (the default):
//  bar 0  100 flat          → buy 2 at market, decided at close 100
//  bar 1  101 (o=h=l=c)     → the buy fills at the open: 101 × 1.001 = 101.101; long 2, the strategy
//                              places a sell limit 1 @ ceil(101 × 1.01) = 102.01 and a sell stop 1 @ floor(101 × 0.99) = 99.99
//  bar 2  o 101 h 103 l 101 c 102.5: path 101 → 101 → 103: the limit fills at 102.01 (a limit: no slippage)
//  bar 3  o 102 h 102 l 99 c 99.5: path 102 → 102 → 99: the stop fills at 99.99 × 0.999 = 99.89001; flat:
//                              the strategy buys 2 at market, decided at close 99.5
//  bar 4  99 (o=h=l=c)      → the buy fills at 99 × 1.001 = 99.099 (the open gapped under the close it was decided on)
// Slippage, a cost positive: trip 1  buy  (101.101 − 100) × 2   =  2.202
//                                    limit (101 − 102.01) × 1   = −1.01
//                                    stop  (101 − 99.89001) × 1 =  1.10999   → 2.30199
//                           trip 2 (open) buy (99.099 − 99.5) × 2 = −0.802
// The run: 2.30199 − 0.802 = 1.49999 over 202.202 + 102.01 + 99.89001 + 198.198 = 602.30001 traded.
const BARS = [
  ['2026-01-05T14:30:00Z', '100', '100', '100', '100'],
  ['2026-01-05T14:31:00Z', '101', '101', '101', '101'],
  ['2026-01-05T14:32:00Z', '101', '103', '101', '102.5'],
  ['2026-01-05T14:33:00Z', '102', '102', '99', '99.5'],
  ['2026-01-05T14:34:00Z', '99', '99', '99', '99'],
];

test('a round trip by hand: entry market, exit limit+stop by the strategy, slippage against each decision close; the same under --events trading', async (t) => {
  const dir = await tempDir(t, 'tl-exec-');
  await fixture(dir, 'AAA.csv', `timestamp,open,high,low,close,volume\n${BARS.map((b) => `${b.join(',')},1000`).join('\n')}\n`);
  const args = ['--symbols', 'AAA', '--data', dir, '--strategy', EXIT_MIX, '--param', 'tp=100', '--param', 'sl=100', '--param', 'hold=3'];
  const costs = ['--fee-bps', '0', '--slippage-bps', '10'];
  const all = await runCli(t, [...args, ...costs]);
  assert.equal(all.code, 0, all.stderr);
  const trips = rows(all.out);
  assert.deepEqual(
    trips.map((r) => [r.side, r.qty, r.entryPrice, r.exitPrice, r.entryOrderType, r.exitOrderType, r.exitBy, r.slippage, r.status]),
    [
      ['long', '2', '101.101', '100.950005', 'market', 'limit+stop', 'strategy', '2.30199', 'closed'],
      ['long', '2', '99.099', '99', 'market', '', '', '-0.802', 'open'],
    ],
  );
  const stats = (all.summary as { stats: { slippage: unknown; bySymbol: { AAA: { slippage: unknown } } } }).stats;
  const run = { cost: '1.49999', tradedNotional: '602.30001', bps: Number(((1.49999 / 602.30001) * 10_000).toFixed(4)) };
  assert.deepEqual(stats.slippage, run);
  assert.deepEqual(stats.bySymbol.AAA.slippage, run);

  // --events trading leaves the bar lines out of the file: the figures come from the bus, not the file.
  const trading = await runCli(t, [...args, ...costs, '--events', 'trading']);
  assert.equal(trading.code, 0, trading.stderr);
  assert.equal(ofType(trading, 'bar').length, 0, 'no bar line in a trading log');
  assert.equal(readFileSync(join(trading.out, 'trades.csv'), 'utf8'), readFileSync(join(all.out, 'trades.csv'), 'utf8'));
  assert.deepEqual((trading.summary as { stats: unknown }).stats, stats);
});

test('the terminal summary says the slippage in one line, with the fill model', async (t) => {
  const dir = await tempDir(t, 'tl-exec-');
  await fixture(dir, 'AAA.csv', `timestamp,open,high,low,close,volume\n${BARS.map((b) => `${b.join(',')},1000`).join('\n')}\n`);
  let out = '';
  const code = await main(
    [
      'run',
      '--source',
      'csv',
      '--symbols',
      'AAA',
      '--data',
      dir,
      '--strategy',
      EXIT_MIX,
      '--param',
      'tp=100',
      '--param',
      'sl=100',
      '--param',
      'hold=3',
      '--fee-bps',
      '0',
      '--slippage-bps',
      '10',
      '--out',
      join(dir, 'run'),
    ],
    { stdout: (s) => (out += s), stderr: (s) => (out += s) },
    {},
  );
  assert.equal(code, 0, out);
  // The rate in force on the costs lines, then what the fills cost against the closes that decided them.
  assert.deepEqual(
    out.split('\n').filter((l) => l.startsWith('  slippage ') || l.startsWith('  slip cost ')),
    [
      '  slippage      10 bp against the order, on market, stop and trailing-stop fills',
      '  slip cost     1.50 against decision closes (24.90 bps of 602.30 traded; fill model next-open)',
    ],
  );
});

test('stops, stop-limits and trailing stops: each trip names its exits, and its slippage is Σ (fill − decision close) × qty of its fills, recomputed from the log', async (t) => {
  const run = await runCli(t, ['--symbols', 'SPY,QQQ', '--data', join(repoRoot, 'data', 'sample'), '--strategy', PROTECTIVE]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(readFileSync(join(run.out, 'trades.csv'), 'utf8').split('\n')[0], TRADES_HEADER);
  const trips = rows(run.out);
  const exits = new Set(trips.flatMap((r) => r.exitOrderType!.split('+')).filter((k) => k !== ''));
  for (const kind of ['stop', 'stop_limit', 'trailing_stop']) assert.ok(exits.has(kind), `some trip leaves by ${kind}: ${[...exits].join(', ')}`);
  for (const r of trips) assert.equal(r.entryOrderType, 'market');

  // From events.ndjson (--events all): every fill against the close of its order's decision bar.
  const close = new Map<string, bigint>();
  for (const b of ofType(run, 'bar')) close.set(`${b.symbol}@${b.openTime}`, toUnits(String(b.close)));
  const orders = new Map<string, { ref: bigint; type: string }>();
  for (const o of ofType(run, 'order')) orders.set(o.orderId as string, { ref: close.get(`${o.symbol}@${o.openTime}`)!, type: o.orderType as string });
  let total = 0n;
  const bySymbol = new Map<string, Array<{ side: string; kind: string; qty: bigint; cost: bigint }>>();
  for (const f of ofType(run, 'fill')) {
    const o = orders.get(f.orderId as string)!;
    const price = toUnits(String(f.price));
    const qty = BigInt(f.qty as number); // whole shares
    const cost = (f.side === 'buy' ? price - o.ref : o.ref - price) * qty;
    total += cost;
    const sym = f.symbol as string;
    bySymbol.set(sym, [...(bySymbol.get(sym) ?? []), { side: f.side as string, kind: o.type, qty, cost }]);
  }
  const stats = (run.summary as { stats: { slippage: { cost: string } } }).stats;
  assert.equal(toUnits(stats.slippage.cost), total);
  // The trips hold every fill's slippage once: Σ over trades.csv = the run's.
  assert.equal(
    trips.reduce((a, r) => a + toUnits(r.slippage!), 0n),
    total,
  );
  // Trip by trip, in the symbol's own order: a trip takes its fills until the position is flat again (no flips here).
  for (const sym of ['SPY', 'QQQ']) {
    const fills = bySymbol.get(sym)!;
    let i = 0;
    for (const r of trips.filter((x) => x.symbol === sym)) {
      let held = 0n;
      let sum = 0n;
      const exitKinds: string[] = [];
      do {
        const f = fills[i++]!;
        held += f.side === 'buy' ? f.qty : -f.qty;
        sum += f.cost;
        if (f.side === 'sell' && !exitKinds.includes(f.kind)) exitKinds.push(f.kind);
      } while (held !== 0n && i < fills.length);
      assert.equal(toUnits(r.slippage!), sum, `${sym} trip at ${r.entryTime}`);
      assert.equal(r.exitOrderType, exitKinds.join('+'), `${sym} trip at ${r.entryTime}`);
    }
    assert.equal(i, fills.length, `every ${sym} fill is in a trip`);
  }
});
