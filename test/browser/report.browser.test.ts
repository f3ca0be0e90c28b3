import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../../src/cli/main.ts';
import { chartFacts, isLocal, NO_CHROMIUM, openBrowser } from '../helpers/browser.ts';
import { runCli } from '../helpers/run-cli.ts';
import { repoRoot } from '../helpers/shared-data.ts';

test('the report opens offline in Chromium: every chart drawn with its series, the trade table equal to trades.csv, no error, no request out', {
  skip: NO_CHROMIUM,
}, async (t) => {
  const run = await runCli(t, ['--symbols', 'SPY,QQQ', '--data', join(repoRoot, 'data', 'sample'), '--param', 'short=1']);
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
      ['chart-price-SPY', 3],
      ['chart-price-QQQ', 3],
    ],
  );
  for (const c of charts) assert.ok(c.painted > 1000 && c.colored > 50, `${c.id} is drawn: ${JSON.stringify(c)}`);
  // Each price chart says what it draws: every close of a run this size, and all of its trips' marks.
  const notes = await b.page.$$eval('p[data-marks]', (ps) => ps.map((p) => p.textContent));
  assert.equal(notes.length, 2);
  for (const n of notes) assert.match(String(n), /^every close drawn \(zoom in for full detail\); marks: all \d+ trips$/);
  const rows = await b.page.$$eval('#trades-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  const csv = readFileSync(join(run.out, 'trades.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
  assert.ok(csv.length > 50);
  assert.deepEqual(rows, csv);
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
