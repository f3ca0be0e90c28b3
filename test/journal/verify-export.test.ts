/**
 * The proof: `tradeloop verify` decides a journaled session again and passes on a clean one, and
 * names the cycle and field where a journal that was edited diverges. `tradeloop export` writes what
 * the journal holds: events as the log had them, bars with provenance, and the run's own trades.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { UNIT_COLUMNS } from '../../src/journal/sqlite-units.ts';
import { RunPacker, type RowValue, unpackRun } from '../../src/journal/unit-runs.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { fillDisk, mountTmpfs } from '../helpers/tmpfs.ts';

const SAMPLE = resolve(import.meta.dirname, '..', '..', 'data', 'sample');

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }, {});
  return { code, out, err };
}

async function session(t: import('node:test').TestContext): Promise<{ state: string; out: string }> {
  const dir = await tempDir(t, 'tl-verify-');
  const state = join(dir, 'state');
  const out = join(dir, 'out');
  const r = await cli('run', '--data', SAMPLE, '--param', 'pct=30', '--state', state, '--out', out, '--quiet');
  assert.equal(r.code, 0, r.err);
  return { state, out };
}

test('verify passes on a clean session: every decision, order, fill, cancel and reject as journaled', async (t) => {
  const { state } = await session(t);
  const r = await cli('verify', '--state', state);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /verified: 3900 cycles/);
});

test("verify passes on a session that was halted by its halt file (the file's path is journaled with the command)", async (t) => {
  const dir = await tempDir(t, 'tl-verify-hf-');
  const state = join(dir, 'state');
  mkdirSync(state, { mode: 0o700 });
  writeFileSync(join(state, 'HALT'), 'reducing\n');
  const r = await cli('run', '--data', SAMPLE, '--param', 'pct=30', '--state', state, '--out', join(dir, 'out'), '--quiet');
  assert.equal(r.code, 0, r.err);
  assert.match(readFileSync(join(dir, 'out', 'events.ndjson'), 'utf8'), /"type":"halt","reason":"halt_file"/);
  const v = await cli('verify', '--state', state);
  assert.equal(v.code, 0, v.out + v.err);
});

test('verify fails on a journal whose fill was edited, naming the cycle and the field', async (t) => {
  const { state } = await session(t);
  const db = new DatabaseSync(join(state, 'journal.sqlite'));
  db.exec('UPDATE ev_fill SET price = price + 1 WHERE seq = (SELECT MIN(seq) FROM ev_fill)');
  db.close();
  const r = await cli('verify', '--state', state);
  assert.equal(r.code, 1);
  assert.match(r.err, /DIVERGED at cycle \d+ \(\w+ bar [\d-]+T[\d:.]+Z\), seq \d+: fill\.price journaled [\d.]+, replayed [\d.]+/);
});

/** The units of the journal's first run of cycles with at least `min` of them: its row id and each unit's values, in UNIT_COLUMNS' order. */
function firstRun(db: DatabaseSync, min: number): { id: number; values: RowValue[][] } {
  const row = db.prepare("SELECT * FROM units WHERE kind = 'cycles' AND cycles >= ? ORDER BY id LIMIT 1").get(min) as Record<string, unknown> | undefined;
  assert.ok(row, `a run of at least ${min} cycles`);
  const values = unpackRun(row.packed as Uint8Array, UNIT_COLUMNS, row).map((r) => UNIT_COLUMNS.map((c) => r[c.name] as RowValue));
  return { id: Number(row.id), values };
}

const col = (name: string): number => UNIT_COLUMNS.findIndex((c) => c.name === name);

/** A run's units, edited, packed again into its row. */
function repack(db: DatabaseSync, id: number, values: readonly RowValue[][]): void {
  const packer = new RunPacker(UNIT_COLUMNS);
  for (const v of values) packer.add(v);
  db.prepare('UPDATE units SET packed = ? WHERE id = ?').run(packer.take(), id);
}

test('verify fails when a journaled bar was edited (the decisions that follow differ), and refuses a run of cycles whose bytes were cut', async (t) => {
  const { state } = await session(t);
  const path = join(state, 'journal.sqlite');
  const copy = join(await tempDir(t, 'tl-verify-run-'), 'state');
  mkdirSync(copy);
  const db = new DatabaseSync(path);
  db.exec(`VACUUM INTO '${join(copy, 'journal.sqlite').replaceAll("'", "''")}'`);
  // A cycle's bar is in its run's row: halve the close of a unit held in a position.
  const { id, values } = firstRun(db, 100);
  const k = values.findIndex((v, i) => i >= 50 && Number(v[col('position')]) !== 0);
  assert.ok(k > 0, 'a unit of the run holds a position');
  values[k]![col('close')] = BigInt(values[k]![col('close')]!) / 2n;
  values[k]![col('low')] = values[k]![col('close')]!;
  repack(db, id, values);
  db.close();
  const r = await cli('verify', '--state', state);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.err, /DIVERGED at cycle \d+/);

  const cut = new DatabaseSync(join(copy, 'journal.sqlite'));
  cut.prepare('UPDATE units SET packed = substr(packed, 1, length(packed) - 5) WHERE id = ?').run(id);
  cut.close();
  for (const argv of [
    ['verify', '--state', copy],
    ['export', '--state', copy, '--format', 'ndjson'],
  ]) {
    const v = await cli(...argv);
    assert.equal(v.code, 4, `${argv.join(' ')}: ${v.err}`);
    assert.match(v.err, new RegExp(`the journal cannot be read \\(journal: a run of cycles \\(units row ${id}\\) ends inside a (value|unit)\\)`));
    assert.doesNotMatch(v.err, /\n\s+at /, 'no stack trace');
  }
});

test('verify with no journal says where one is kept', async (t) => {
  const dir = await tempDir(t, 'tl-verify-none-');
  const r = await cli('verify', dir);
  assert.equal(r.code, 2);
  assert.match(r.err, /no journal/);
});

test("export: events as the log had them, bars with their file and line, and the run's own trades", async (t) => {
  const { state, out } = await session(t);
  const events = await cli('export', '--state', state, '--format', 'ndjson');
  assert.equal(events.code, 0, events.err);
  const log =
    readFileSync(join(out, 'events.ndjson'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.includes('"type":"run_end"'))
      .join('\n') + '\n';
  assert.equal(events.out, log, 'the journal holds the log, line for line (the segment end aside)');
  const bars = await cli('export', '--state', state, '--format', 'csv', '--what', 'bars');
  const rows = bars.out.trim().split('\n');
  assert.equal(rows.length, 3901);
  assert.match(rows[1]!, /^SPY,1m,2026-03-09T13:30:00.000Z,512.4,512.59,512.21,512.58,356160,csv,SPY.csv,2,$/);
  const trades = await cli('export', '--state', state, '--format', 'csv', '--what', 'trades');
  assert.equal(trades.out, readFileSync(join(out, 'trades.csv'), 'utf8'));
  const equity = await cli('export', '--state', state, '--format', 'ndjson', '--what', 'equity');
  assert.equal(equity.out.trim().split('\n').length, readFileSync(join(out, 'equity.csv'), 'utf8').trim().split('\n').length - 1);
  assert.equal((await cli('export', '--state', state, '--format', 'xml')).code, 2);
  // An --out that cannot be written is a refusal naming it, not a stack trace.
  const bad = await cli('export', '--state', state, '--format', 'csv', '--what', 'trades', '--out', join(out, 'no-such-folder', 'x.csv'));
  assert.equal(bad.code, 2, bad.err);
  assert.match(bad.err, /--out .*no-such-folder.*ENOENT/);
});

test('export of trades or equity on a full disk is an error naming the cause, not a table cut short', async (t) => {
  const { state } = await session(t);
  const disk = mountTmpfs(t, 'size=64k');
  if (disk === null) return;
  fillDisk(disk);
  const before = process.env.TMPDIR;
  process.env.TMPDIR = disk; // where export replays the tables
  t.after(() => (before === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = before)));
  const r = await cli('export', '--state', state, '--format', 'csv', '--what', 'equity');
  assert.notEqual(r.code, 0, r.out.slice(0, 200));
  assert.match(r.err, /ENOSPC/);
});

const DELETE: Record<string, (db: DatabaseSync) => void> = {
  fill: (db) => db.exec('DELETE FROM ev_fill WHERE seq = (SELECT MIN(seq) FROM ev_fill)'),
  order: (db) => db.exec('DELETE FROM ev_order WHERE seq = (SELECT MIN(seq) FROM ev_order)'),
  // A cycle's decision is in its unit's values (in its run's row): taking it out of them deletes it.
  decision: (db) => {
    const { id, values } = firstRun(db, 2);
    for (const name of ['decision', 'action', 'qty', 'intents', 'position', 'equity']) values[1]![col(name)] = null;
    repack(db, id, values);
  },
};
for (const [type, edit] of Object.entries(DELETE)) {
  test(`verify fails on a journal whose ${type} was deleted: the replay's event is missing from the journal`, async (t) => {
    const { state } = await session(t);
    const db = new DatabaseSync(join(state, 'journal.sqlite'));
    edit(db);
    db.close();
    const r = await cli('verify', '--state', state);
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, new RegExp(`DIVERGED at seq \\d+ \\(cycle \\d+ .*\\): the replay made a ${type} .*the journal has nothing there`));
  });
}

test('a journal cut short or written by a newer tradeloop: verify and export refuse it with exit 4, no stack trace', async (t) => {
  const { state } = await session(t);
  const newer = join(await tempDir(t, 'tl-verify-newer-'), 'state');
  mkdirSync(newer);
  const db = new DatabaseSync(join(state, 'journal.sqlite'));
  db.exec(`VACUUM INTO '${join(newer, 'journal.sqlite').replaceAll("'", "''")}'`);
  db.close();
  const edit = new DatabaseSync(join(newer, 'journal.sqlite'));
  edit.exec("UPDATE meta SET value = '99' WHERE key = 'version'");
  edit.close();
  truncateSync(join(state, 'journal.sqlite'), 40_000);
  for (const dir of [state, newer]) {
    for (const argv of [
      ['verify', '--state', dir],
      ['export', '--state', dir, '--format', 'csv'],
      ['export', '--state', dir, '--format', 'csv', '--what', 'trades'],
    ]) {
      const r = await cli(...argv);
      assert.equal(r.code, 4, `${argv.join(' ')}: ${r.err}`);
      assert.match(r.err, /journal\.sqlite: the journal cannot be read \((?:.*malformed|.*journal version 99, this tradeloop reads versions 1 to 3)/);
      assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    }
  }
});

test('a resume with a changed --max-skip-ratio is refused by name (the run id would change under the journal)', async (t) => {
  const { state, out } = await session(t);
  const r = await cli('run', '--data', SAMPLE, '--param', 'pct=30', '--state', state, '--out', out, '--quiet', '--max-skip-ratio', '0.05');
  assert.equal(r.code, 2);
  assert.match(r.err, /--max-skip-ratio differs \(journaled 0\.01, now 0\.05\)/);
});

test('the same command again on a finished static run leaves its files as they are and says the run is complete', async (t) => {
  const { state, out } = await session(t);
  const before = ['events.ndjson', 'summary.json', 'trades.csv', 'equity.csv'].map((f) => readFileSync(join(out, f), 'utf8'));
  const again = await cli('run', '--data', SAMPLE, '--param', 'pct=30', '--state', state, '--out', out, '--quiet');
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /this run is complete in --state .* \(ended ok\): nothing to resume, and its files in .* are left as they are/);
  assert.deepEqual(
    ['events.ndjson', 'summary.json', 'trades.csv', 'equity.csv'].map((f) => readFileSync(join(out, f), 'utf8')),
    before,
  );
});
