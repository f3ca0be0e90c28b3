import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../../src/cli/main.ts';
import { chartFacts, isLocal, legendColors, NO_CHROMIUM, openBrowser, pixelsNear } from '../helpers/browser.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';
import { repoRoot } from '../helpers/shared-data.ts';

const EXIT_MIX = join(repoRoot, 'test', 'fixtures', 'strategies', 'exit-mix.ts');

test('the report opens offline in Chromium: every chart drawn with its series, fills marked by order type, the trade table equal to trades.csv with its exit order types and slippage, no error, no request out', {
  skip: NO_CHROMIUM,
}, async (t) => {
  // Entries at market, exits by limit, stop and market: three order types to mark.
  const run = await runCli(t, ['--symbols', 'SPY,QQQ', '--data', join(repoRoot, 'data', 'sample'), '--strategy', EXIT_MIX]);
  assert.equal(run.code, 0);
  assert.equal(await main(['report', run.out], { stdout: () => {}, stderr: () => {} }), 0);
  const b = await openBrowser(t);
  const url = pathToFileURL(join(run.out, 'report.html')).href;
  await b.page.goto(url);
  await b.page.waitForSelector('body[data-ready="1"]');
  const charts = await chartFacts(b.page);
  assert.deepEqual(
    charts.map((c) => [c.id, c.series]),
    [
      ['chart-equity', 2],
      ['chart-drawdown', 1],
      ['chart-price-SPY', 5],
      ['chart-price-QQQ', 5],
    ],
  );
  for (const c of charts) assert.ok(c.painted > 1000 && c.colored > 50, `${c.id} is drawn: ${JSON.stringify(c)}`);
  const fills = ofType(run, 'fill') as Array<{ symbol: string }>;
  for (const sym of ['SPY', 'QQQ']) {
    // The legend names each order type and side that filled; a type has one colour, distinct from the others' and the close's.
    const legend = await legendColors(b.page, `#chart-price-${sym}`);
    assert.deepEqual(
      legend.map((l) => l.label),
      ['close', 'market buy', 'market sell', 'limit sell', 'stop sell'],
    );
    const color = new Map(legend.map((l) => [l.label.split(' ')[0]!, l.color]));
    assert.equal(color.get('market'), legend.find((l) => l.label === 'market sell')!.color, 'a type keeps its colour on both sides');
    assert.equal(new Set(color.values()).size, 4, `close, market, limit, stop: four colours ${JSON.stringify([...color])}`);
    // And its marks are on the canvas, in that colour.
    for (const kind of ['market', 'limit', 'stop']) {
      const n = await pixelsNear(b.page, `#chart-price-${sym}`, color.get(kind)!);
      assert.ok(n > 30, `${sym}: ${kind} marks drawn (${n} pixels of ${color.get(kind)})`);
    }
    // Each price chart says what it draws: every close of a run this size, and all of its fills.
    const note = await b.page.$eval(`p[data-marks="${sym}"]`, (p) => p.textContent);
    const n = fills.filter((f) => f.symbol === sym).length;
    assert.equal(note, `every close drawn (zoom in for full detail); marks: all ${n} fills (colour: order type; filled: buy, hollow: sell)`);
  }
  // The trade table: trades.csv's rows, each of its columns under its own name (the entry, the exit, then the money).
  const head = await b.page.$$eval('#trades-table thead th', (ths) => ths.map((th) => th.textContent!));
  const rows = await b.page.$$eval('#trades-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const [csvHead, ...csvLines] = readFileSync(join(run.out, 'trades.csv'), 'utf8').trim().split('\n');
  const cols = csvHead!.split(',');
  assert.deepEqual([...head].sort(), [...cols].sort());
  assert.deepEqual(head.slice(6, 13), ['exitTime', 'exitOrderType', 'exitBy', 'exitPrice', 'pnl', 'fees', 'slippage']);
  const csv = csvLines.map((l) => l.split(','));
  assert.ok(csv.length > 50);
  assert.deepEqual(
    rows,
    csv.map((r) => head.map((h) => r[cols.indexOf(h)])),
  );
  const exits = new Set(rows.map((r) => r[head.indexOf('exitOrderType')]));
  for (const e of ['limit+market', 'stop+market', 'market']) assert.ok(exits.has(e), `a trip leaving by ${e}`);
  // The summary says the run's slippage, as summary.json has it.
  const slip = (run.summary as { stats: { slippage: { cost: string; bps: number } } }).stats.slippage;
  const summaryRows = await b.page.$$eval('#summary-table tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const cost = Number(slip.cost).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  assert.deepEqual(
    summaryRows.find((r) => r[0] === 'slippage'),
    [
      'slippage',
      `${cost} against decision closes (${slip.bps.toFixed(2)} bps of ${Number((run.summary as { stats: { slippage: { tradedNotional: string } } }).stats.slippage.tradedNotional).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} traded), fill model next-open`,
    ],
  );
  const stats = await b.page.$$eval('#stats-table tbody tr', (trs) => trs.map((tr) => tr.querySelector('td')!.textContent));
  assert.deepEqual(stats, ['all', 'SPY', 'QQQ']);
  assert.deepEqual(b.errors, []);
  assert.deepEqual(
    b.requests.filter((r) => !isLocal(r)),
    [],
    'no request leaves the machine',
  );
  assert.deepEqual(b.requests, [url], 'the page loads nothing but itself');
  const shot = join(b.artifacts, 'report.png');
  await b.page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`report screenshot: ${shot}`);
});
