import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, ofType } from '../helpers/run-cli.ts';
import { repoRoot } from '../helpers/shared-data.ts';
import { EQUITY_HEADER, TRADES_HEADER } from '../../src/stats/run-statistics.ts';
import { toUnits } from '../../src/stats/decimal.ts';

const SAMPLE = join(repoRoot, 'data', 'sample');
const ARGS = ['--symbols', 'SPY,QQQ', '--data', SAMPLE, '--param', 'short=1', '--fee-bps', '2'];

function table(dir: string, name: string): { header: string; rows: Array<Record<string, string>>; text: string } {
  const text = readFileSync(join(dir, name), 'utf8');
  const [header, ...lines] = text.trimEnd().split('\n');
  const cols = header!.split(',');
  return { header: header!, text, rows: lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i]!, v]))) };
}

test('trades.csv reconciles with the fills and the final equity exactly; equity.csv with the cash after each slice', async (t) => {
  const run = await runCli(t, ARGS);
  assert.equal(run.code, 0, run.stderr);
  const s = run.summary as {
    finalEquity: string;
    startEquity: string;
    fees: string;
    cash: string;
    trades: number;
    stats: { trips: { roundTrips: number; openTrips: number } };
  };
  const trades = table(run.out, 'trades.csv');
  assert.equal(trades.header, TRADES_HEADER);
  const closed = trades.rows.filter((r) => r.status === 'closed');
  const open = trades.rows.filter((r) => r.status === 'open');
  // A flip closes one trip and opens the next, so the short side is there too.
  assert.ok(closed.some((r) => r.side === 'short') && closed.some((r) => r.side === 'long'));
  assert.equal(closed.length, s.trades, "closed trips = the broker's round trips");
  assert.equal(s.stats.trips.roundTrips, closed.length);
  assert.equal(s.stats.trips.openTrips, open.length);
  const sum = (rows: Array<Record<string, string>>, col: string): bigint => rows.reduce((a, r) => a + toUnits(r[col]!), 0n);
  // Σ trip PnL (closed, and open ones marked to the last close) = final equity − start, to the 1e-8 unit.
  assert.equal(sum(trades.rows, 'pnl'), toUnits(s.finalEquity) - toUnits(s.startEquity));
  assert.equal(sum(trades.rows, 'fees'), toUnits(s.fees));
  // Every fill is in one trip: the fills' Σ (realized − fee) is what the trips hold but for the open ones' unrealized part.
  const fills = ofType(run, 'fill') as Array<{ symbol: string; openTime: number; realizedPnl: number; fee: number; position: number }>;
  const net = fills.reduce((a, f) => a + toUnits(String(f.realizedPnl)) - toUnits(String(f.fee)), 0n);
  const positions = run.summary!.positions as Record<string, string>;
  assert.deepEqual(
    open.map((r) => r.symbol).sort(),
    Object.keys(positions)
      .filter((k) => positions[k] !== '0')
      .sort(),
    'an open trip per open position',
  );
  if (open.length === 0) assert.equal(net, toUnits(s.finalEquity) - toUnits(s.startEquity));
  else assert.notEqual(sum(open, 'pnl'), 0n);
  // Entry and exit times are times of that symbol's fills.
  const fillTimes = new Set(fills.map((f) => `${f.symbol}@${new Date(f.openTime).toISOString().replace('.000Z', 'Z')}`));
  for (const r of closed) {
    assert.ok(fillTimes.has(`${r.symbol}@${r.entryTime}`) && fillTimes.has(`${r.symbol}@${r.exitTime}`), JSON.stringify(r));
  }

  const equity = table(run.out, 'equity.csv');
  assert.equal(equity.header, EQUITY_HEADER);
  const slices = [...new Set(ofType(run, 'bar').map((b) => b.openTime as number))];
  assert.equal(equity.rows.length, slices.length, 'one row per slice');
  const last = equity.rows.at(-1)!;
  assert.equal(last.equity, s.finalEquity);
  assert.equal(last.cash, s.cash);
  // Each row's cash is the cash after the slice's last fill (unchanged when the slice had none).
  const cashAfter = new Map<number, number>();
  for (const f of fills as unknown as Array<{ openTime: number; cash: number }>) cashAfter.set(f.openTime, f.cash);
  let cash = s.startEquity;
  let peak = 0;
  equity.rows.forEach((row, i) => {
    const c = cashAfter.get(slices[i]!);
    if (c !== undefined) cash = String(c);
    assert.equal(toUnits(row.cash!), toUnits(cash), `cash at ${row.time}`);
    const e = Number(row.equity);
    peak = Math.max(peak, e);
    assert.ok(Math.abs(Number(row.drawdownPct) - ((peak - e) / peak) * 100) < 1e-5, `drawdown at ${row.time}`);
  });
});

test('static trades.csv and equity.csv are byte-identical across runs', async (t) => {
  const a = await runCli(t, ARGS);
  const b = await runCli(t, ARGS);
  for (const name of ['trades.csv', 'equity.csv']) assert.equal(table(a.out, name).text, table(b.out, name).text, name);
});
