/**
 * File formats that would be misread are read right or refused with the diagnosis: separate date
 * and time columns are one timestamp; day/month-first dates need --date-format; semicolon or tab
 * separated files, UTF-16 and compressed files are named for what they are.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { collect, oneFile } from '../helpers/collect-source.ts';
import { fixture, tempDir } from '../helpers/temp-dir.ts';
import { ofType, runCli } from '../helpers/run-cli.ts';
import { parseTimestamp } from '../../src/domain/time.ts';

const MIN = 60_000;

test('separate Date and Time columns (MetaTrader, Kibot, brokers) make one timestamp: a bar a minute, not a bar a day', async (t) => {
  const dir = await tempDir(t);
  const T = Date.UTC(2026, 2, 9, 9, 30);
  const files: ReadonlyArray<readonly [string, string, readonly string[]]> = [
    [
      'iso.csv',
      'Date,Time,Open,High,Low,Close,Volume\n2026-03-09,09:30,10,11,9,10.5,100\n2026-03-09,09:31,10.5,11,10,10.8,50\n2026-03-09,9:32,10.8,11,10,10.9,70\n',
      [],
    ],
    [
      'mt.csv',
      '<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<TICKVOL>,<VOL>,<SPREAD>\n2026.03.09,09:30:00,10,11,9,10.5,100,0,2\n2026.03.09,09:31:00,10.5,11,10,10.8,50,0,2\n2026.03.09,09:32:00,10.8,11,10,10.9,70,0,2\n',
      [],
    ],
    ['mt4.csv', '2026.03.09,09:30,10,11,9,10.5,100\n2026.03.09,09:31,10.5,11,10,10.8,50\n2026.03.09,09:32,10.8,11,10,10.9,70\n', []],
    ['kibot.csv', '03/09/2026,09:30,10,11,9,10.5,100\n03/09/2026,09:31,10.5,11,10,10.8,50\n03/09/2026,09:32,10.8,11,10,10.9,70\n', ['--date-format', 'mdy']],
    [
      'slash.csv',
      'date,time,open,high,low,close,volume\n2026/03/09,09:30:00,10,11,9,10.5,100\n2026/03/09,09:31:00,10.5,11,10,10.8,50\n2026/03/09,09:32:00,10.8,11,10,10.9,70\n',
      [],
    ],
  ];
  for (const [name, text, extra] of files) {
    const path = await fixture(dir, name, text);
    const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', ...extra]);
    assert.equal(run.code, 0, `${name}: ${run.stderr}`);
    assert.deepEqual(
      ofType(run, 'bar').map((b) => b.openTime),
      [T, T + MIN, T + 2 * MIN],
      name,
    );
    assert.equal(ofType(run, 'skip').length, 0, name);
    assert.deepEqual(
      ofType(run, 'bar').map((b) => b.close),
      [10.5, 10.8, 10.9],
      `${name}: the columns after the time land in the right fields`,
    );
  }
});

test('day/month-first dates are refused as ambiguous naming file:line and --date-format; with it they read as told', async (t) => {
  const dir = await tempDir(t);
  const text = 'timestamp,open,high,low,close,volume\n03/09/2026 09:30,10,11,9,10.5,100\n03/09/2026 09:31,10.5,11,10,10.8,50\n';
  const path = await fixture(dir, 'dm.csv', text);
  const refused = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold']);
  assert.equal(refused.code, 1);
  assert.ok(refused.stderr.includes('dm.csv:2') && refused.stderr.includes('--date-format'), refused.stderr);
  assert.equal(ofType(refused, 'bar').length, 0);
  const ymd = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', '--date-format', 'ymd']);
  assert.equal(ymd.code, 1, 'ymd does not fit a date whose year comes last');
  assert.ok(ymd.stderr.includes('dm.csv:2') && ymd.stderr.includes('--date-format'), ymd.stderr);
  const dmy = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', '--date-format', 'dmy']);
  assert.equal(dmy.code, 0, dmy.stderr);
  assert.equal(ofType(dmy, 'bar')[0]!.openTime, Date.UTC(2026, 8, 3, 9, 30));
  const mdy = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', '--date-format', 'mdy']);
  assert.equal(mdy.code, 0, mdy.stderr);
  assert.equal(ofType(mdy, 'bar')[0]!.openTime, Date.UTC(2026, 2, 9, 9, 30));
  // A day above 12 shows the order, but one file's first rows are no proof for the rest: still refused, with the hint.
  const shown = await fixture(dir, 'shown.csv', 'timestamp,open,high,low,close,volume\n13/09/2026 09:30,10,11,9,10.5,100\n');
  const hinted = await collect(oneFile('X', shown));
  assert.equal(hinted.error?.name, 'DataError');
  assert.ok(String(hinted.error?.message).includes('--date-format dmy'), String(hinted.error?.message));
  // A zone-less day/month-first time is read in --tz, like any zone-less time.
  const ny = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold', '--date-format', 'mdy', '--tz', 'America/New_York']);
  assert.equal(ofType(ny, 'bar')[0]!.openTime, Date.UTC(2026, 2, 9, 13, 30));
});

test('parseTimestamp: day/month-first forms need an order; year-first dates may use / or . as MetaTrader writes them', () => {
  assert.ok(Number.isNaN(parseTimestamp('03/09/2026', null)));
  assert.equal(parseTimestamp('03/09/2026', null, 'dmy'), Date.UTC(2026, 8, 3));
  assert.equal(parseTimestamp('3/9/2026 9:30', null, 'mdy'), Date.UTC(2026, 2, 9, 9, 30));
  assert.equal(parseTimestamp('3.9.2026 21:30:15', null, 'dmy'), Date.UTC(2026, 8, 3, 21, 30, 15));
  assert.equal(parseTimestamp('03-09-2026 09:30:00.250', null, 'mdy'), Date.UTC(2026, 2, 9, 9, 30, 0, 250));
  assert.equal(parseTimestamp('3/9/2026 9:30:00 PM', null, 'mdy'), Date.UTC(2026, 2, 9, 21, 30));
  assert.equal(parseTimestamp('3/9/2026 12:05 AM', null, 'mdy'), Date.UTC(2026, 2, 9, 0, 5));
  assert.equal(parseTimestamp('2026.03.09 09:30', null), Date.UTC(2026, 2, 9, 9, 30));
  assert.equal(parseTimestamp('2026/03/09', null), Date.UTC(2026, 2, 9));
  for (const bad of ['13/13/2026', '31/02/2026', '3/9/2026 24:00', '3/9/2026 13:00 PM', '3/9/26', '2026.03-09', '2026/3/9']) {
    assert.ok(Number.isNaN(parseTimestamp(bad, null, 'dmy')), bad);
  }
  assert.ok(Number.isNaN(parseTimestamp('03/09/2026', null, 'ymd')));
});

test('a semicolon- or tab-separated file is refused naming file:1 and the separator it uses', async (t) => {
  const dir = await tempDir(t);
  for (const [name, text, what] of [
    ['semi.csv', 'Date;Open;High;Low;Close;Volume\n2026-03-09 09:30;10,5;11;9;10,5;100\n', 'semicolon'],
    ['tab.csv', 'Date\tOpen\tHigh\tLow\tClose\tVolume\n2026-03-09 09:30\t10\t11\t9\t10.5\t100\n', 'tab'],
    ['semi-raw.csv', '2026-03-09 09:30;10,5;11;9;10,5;100\n2026-03-09 09:31;10,5;11;9;10,5;100\n', 'semicolon'],
  ] as const) {
    const path = await fixture(dir, name, text);
    const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold']);
    assert.equal(run.code, 1, name);
    assert.ok(run.stderr.includes(`${name}:1`) && run.stderr.toLowerCase().includes(what), `${name}: ${run.stderr}`);
  }
});

test('UTF-16 (with or without a byte-order mark), gzip and zip files are refused for what they are; a UTF-8 BOM still reads', async (t) => {
  const dir = await tempDir(t);
  const text = 'timestamp,open,high,low,close,volume\n2026-03-09 09:30:00,10,11,9,10.5,100\n2026-03-09 09:31:00,10,11,9,10.5,100\n';
  const le = Buffer.from(`\ufeff${text}`, 'utf16le');
  const be = Buffer.from(le).swap16();
  const cases: ReadonlyArray<readonly [string, Buffer, string]> = [
    ['le.csv', le, 'UTF-16'],
    ['be.csv', be, 'UTF-16'],
    ['nobom.csv', Buffer.from(text, 'utf16le'), 'UTF-16'],
    ['zipped.csv.gz', gzipSync(text), 'gzip'],
    ['book.xlsx', Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(60)]), 'zip'],
  ];
  for (const [name, bytes, what] of cases) {
    const path = await fixture(dir, name, bytes as unknown as string);
    const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold']);
    assert.equal(run.code, 1, name);
    assert.ok(run.stderr.includes(name) && run.stderr.includes(what), `${name}: ${run.stderr}`);
  }
  for (const [name, body] of [
    ['bom.csv', text],
    ['bom-raw.csv', '1773063000000,10,11,9,10.5,100\n1773063060000,10,11,9,10.5,100\n'],
  ] as const) {
    const path = await fixture(dir, name, `\ufeff${body}`);
    const run = await runCli(t, ['--symbols', 'X', '--file', `X=${path}`, '--strategy', 'hold']);
    assert.equal(run.code, 0, `${name}: ${run.stderr}`);
    assert.equal(ofType(run, 'bar').length, 2, name);
  }
});
