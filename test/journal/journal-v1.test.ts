/**
 * A journal written before version 2 (every bar in ev_bar, every decision in ev_decision), made by
 * the old code (test/fixtures/journal-v1/journal.sql): verify passes on it, export and the report's
 * run folder read it as the log had it, and a resume decides on from it to the very end an
 * uninterrupted run reaches, making it version 2 (its old rows read as before, its new cycles folded).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { writeJournalRunFolder } from '../../src/cli/journal-run-folder.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { makeInstrument } from '../../src/broker/instrument.ts';
import { closeTimeOf } from '../../src/domain/interval.ts';
import type { TradeEvent } from '../../src/events/types.ts';
import { JournalError, type JournalUnit } from '../../src/journal/journal.ts';
import { SqliteJournal } from '../../src/journal/sqlite-journal.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const ARGS = ['--data', join(ROOT, 'data', 'sample'), '--param', 'pct=30', '--quiet'];
/** What the fixture holds: 401 units (the run_start, then 200 cycles of each symbol) through this seq. */
const UNITS = 401;
const LAST_SEQ = 821;

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }, {});
  return { code, out, err };
}

/** The fixture as a state folder's journal.sqlite, the run's folder being this repository. */
async function v1State(t: import('node:test').TestContext): Promise<{ dir: string; state: string; journal: string }> {
  const dir = await tempDir(t, 'tl-journal-v1-');
  const state = join(dir, 'state');
  mkdirSync(state, { mode: 0o700 });
  const journal = join(state, 'journal.sqlite');
  const db = new DatabaseSync(journal);
  // WAL, as every journal is.
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(readFileSync(join(ROOT, 'test', 'fixtures', 'journal-v1', 'journal.sql'), 'utf8').replaceAll('@ROOT@', ROOT.replaceAll("'", "''")));
  db.close();
  return { dir, state, journal };
}

function read<T>(journal: string, sql: string): T {
  const db = new DatabaseSync(journal, { readOnly: true });
  try {
    return db.prepare(sql).get() as T;
  } finally {
    db.close();
  }
}

let reference: { events: string[]; summary: string; trades: string; equity: string } | null = null;
/** The same run by this code, uninterrupted. */
async function uninterrupted(t: import('node:test').TestContext): Promise<NonNullable<typeof reference>> {
  if (reference) return reference;
  const out = join(await tempDir(t, 'tl-journal-v1-ref-'), 'out');
  const r = await cli('run', ...ARGS, '--out', out);
  assert.equal(r.code, 0, r.err);
  reference = {
    events: readFileSync(join(out, 'events.ndjson'), 'utf8').trim().split('\n'),
    summary: readFileSync(join(out, 'summary.json'), 'utf8'),
    trades: readFileSync(join(out, 'trades.csv'), 'utf8'),
    equity: readFileSync(join(out, 'equity.csv'), 'utf8'),
  };
  return reference;
}

test('a version-1 journal: the fixture is one, with its cycles in ev_bar and ev_decision', async (t) => {
  const { journal } = await v1State(t);
  assert.deepEqual(
    { ...read<object>(journal, "SELECT (SELECT value FROM meta WHERE key = 'version') AS v, COUNT(*) AS units, MAX(last_seq) AS last FROM units") },
    { v: '1', units: UNITS, last: LAST_SEQ },
  );
  assert.equal(read<{ n: number }>(journal, 'SELECT COUNT(*) AS n FROM ev_bar').n, UNITS - 1);
  assert.ok(read<{ n: number }>(journal, 'SELECT COUNT(*) AS n FROM ev_fill').n > 5, 'fills among them, some between a bar and its decision');
});

test('verify, export and the report read a version-1 journal as the log had it, and write nothing to it', async (t) => {
  const want = await uninterrupted(t);
  const { dir, state, journal } = await v1State(t);
  const before = readFileSync(journal);
  const v = await cli('verify', '--state', state);
  assert.equal(v.code, 0, v.out + v.err);
  assert.match(v.out, /verified: 400 cycles/);
  const events = await cli('export', '--state', state, '--format', 'ndjson');
  assert.equal(events.code, 0, events.err);
  assert.deepEqual(events.out.trim().split('\n'), want.events.slice(0, LAST_SEQ), "the uninterrupted run's first lines");
  const bars = await cli('export', '--state', state, '--format', 'csv', '--what', 'bars');
  const rows = bars.out.trim().split('\n');
  assert.equal(rows.length, UNITS);
  assert.match(rows[1]!, /^SPY,1m,2026-03-09T13:30:00.000Z,512.4,512.59,512.21,512.58,356160,csv,SPY.csv,2,$/);
  const folder = join(dir, 'report');
  mkdirSync(folder);
  await writeJournalRunFolder({ kind: 'sqlite', dir: state }, folder);
  assert.deepEqual(readFileSync(join(folder, 'events.ndjson'), 'utf8').trim().split('\n'), want.events.slice(0, LAST_SEQ));
  const trades = readFileSync(join(folder, 'trades.csv'), 'utf8').trim().split('\n');
  assert.ok(trades.length > 2 && want.trades.startsWith(trades.slice(0, -1).join('\n')), "the trades closed so far: the uninterrupted run's first ones");
  assert.ok(readFileSync(journal).equals(before), 'reading left the file as it was (still version 1)');
});

test('a resume from a version-1 journal ends where an uninterrupted run ends, and leaves a version-3 journal that verifies', async (t) => {
  const want = await uninterrupted(t);
  const { dir, state, journal } = await v1State(t);
  const out = join(dir, 'out');
  const r = await cli('run', ...ARGS, '--state', state, '--out', out);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /RESUMED \w+ from its journal: 400 cycles replayed/);
  // The new folder's log was written from the journal, then decided on.
  const events = readFileSync(join(out, 'events.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => !l.includes('"type":"run_resume"'));
  assert.deepEqual(events, want.events);
  assert.equal(readFileSync(join(out, 'summary.json'), 'utf8'), want.summary);
  assert.equal(readFileSync(join(out, 'trades.csv'), 'utf8'), want.trades);
  assert.equal(readFileSync(join(out, 'equity.csv'), 'utf8'), want.equity);
  const after = read<{ v: string; old: number; folded: number; packed: number; runs: number; barRows: number }>(
    journal,
    `SELECT (SELECT value FROM meta WHERE key = 'version') AS v, (SELECT COUNT(*) FROM units WHERE id <= ${UNITS} AND stream IS NULL) AS old,
       (SELECT COUNT(*) FROM units WHERE stream IS NOT NULL AND decision IS NOT NULL) AS folded,
       (SELECT COALESCE(SUM(cycles), 0) FROM units WHERE kind = 'cycles') AS packed,
       (SELECT COUNT(*) FROM units WHERE kind = 'cycles') AS runs, (SELECT COUNT(*) FROM ev_bar) AS barRows`,
  );
  assert.deepEqual(
    { v: after.v, old: after.old, newCycles: after.folded + after.packed, barRows: after.barRows },
    { v: '3', old: UNITS, newCycles: 3900 - 400, barRows: 400 },
    'old rows as they were; each new cycle folded into a row of its own or packed in a run',
  );
  assert.ok(after.runs > 0 && after.packed > after.folded, `most new cycles are packed in runs (${after.packed} in ${after.runs} rows, ${after.folded} alone)`);
  const v = await cli('verify', '--state', state);
  assert.equal(v.code, 0, v.out + v.err);
  assert.match(v.out, /verified: 3900 cycles/);
  const exported = await cli('export', '--state', state, '--format', 'ndjson');
  assert.deepEqual(
    exported.out.trim().split('\n'),
    want.events.filter((l) => !l.includes('"type":"run_end"')),
  );
});

test('an append refused on a version-1 journal leaves it version 1; the next one makes it version 3', async (t) => {
  const { journal: path } = await v1State(t);
  const journal = new SqliteJournal(path, {
    durable: false,
    instruments: new Map([
      ['SPY', makeInstrument('SPY', '1')!],
      ['QQQ', makeInstrument('QQQ', '1')!],
    ]),
  });
  t.after(() => journal.close());
  const before: JournalUnit[] = [];
  for await (const u of journal.units()) before.push(u);
  const last = before.at(-1)!;
  const bar = last.events[0]!.event as Extract<TradeEvent, { type: 'bar' }>;
  const cycle = (seq: number): JournalUnit => ({
    kind: 'cycle',
    events: [
      { seq, event: { ...bar, openTime: bar.openTime + 60_000 * seq } },
      {
        seq: seq + 1,
        event: { type: 'decision', symbol: bar.symbol, openTime: bar.openTime + 60_000 * seq, action: 'hold', qty: 0, intents: 0, position: 0, equity: 1n },
      },
    ],
    provenance: { file: `${bar.symbol}.csv`, line: seq },
  });
  await journal.beginSegment({ kind: 'resume', afterSeq: LAST_SEQ, startedAt: null });
  const columns = (): string[] => {
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      return (db.prepare('PRAGMA table_info(units)').all() as Array<{ name: string }>).map((r) => r.name);
    } finally {
      db.close();
    }
  };
  await assert.rejects(journal.append([cycle(LAST_SEQ + 1), cycle(LAST_SEQ + 1)]), JournalError);
  assert.ok(!columns().includes('stream'), 'the new columns went with the refused transaction');
  assert.equal(read<{ value: string }>(path, "SELECT value FROM meta WHERE key = 'version'").value, '1');
  await journal.append([cycle(LAST_SEQ + 1), cycle(LAST_SEQ + 3)]);
  assert.ok(columns().includes('stream') && columns().includes('packed') && columns().includes('cycles'));
  assert.equal(read<{ value: string }>(path, "SELECT value FROM meta WHERE key = 'version'").value, '3');
  assert.equal(read<{ n: number }>(path, "SELECT COUNT(*) AS n FROM units WHERE kind = 'cycles'").n, 1, 'the two plain cycles in one run');
  const after: JournalUnit[] = [];
  for await (const u of journal.units()) after.push(u);
  assert.deepEqual(after, [...before, ...[cycle(LAST_SEQ + 1), cycle(LAST_SEQ + 3)].map((u) => ({ ...u, bar: { ...unitBar(u) } }))]);
});

function unitBar(u: JournalUnit): NonNullable<JournalUnit['bar']> {
  const { type: _, ...bar } = u.events[0]!.event as Extract<TradeEvent, { type: 'bar' }>;
  return { ...bar, closeTime: closeTimeOf(bar.interval, bar.openTime) };
}
