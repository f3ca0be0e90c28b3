/**
 * A data file replaced during a static run (a downloader writing a new version and renaming it over
 * the old one, the usual atomic update): the run must not go on reading the new file at the old
 * one's offsets. Its run id hashes the files as they were at the start, and its bars would be a
 * silent mix of two versions, lines cut in the middle. Either the file read is the one opened, or
 * the run refuses naming it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../../src/feed/data-error.ts';
import { csvSource, filesIn } from '../helpers/collect-source.ts';
import { isoMinute, tempDir } from '../helpers/temp-dir.ts';

const T0 = Date.UTC(2025, 0, 1, 0, 0);

function csv(rows: number, close: number, descending: boolean): string {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) lines.push(`${isoMinute(T0 + i * 60_000)},100,200,50,${close},1`);
  if (descending) lines.reverse();
  return ['timestamp,open,high,low,close,volume', ...lines].join('\n') + '\n';
}

for (const descending of [false, true]) {
  test(`a ${descending ? 'newest-first' : 'oldest-first'} file replaced (renamed over) during the run: its bars are the opened file's, or the run refuses naming it`, async (t) => {
    const dir = await tempDir(t);
    const symbols = ['AUSDT', 'BUSDT'];
    for (const s of symbols) writeFileSync(join(dir, `${s}.csv`), csv(300, 101, descending));
    const source = csvSource({ files: filesIn(dir, symbols), chunkBytes: 512 });
    await source.open();
    let bars = 0;
    const closes = new Set<number>();
    const run = source.run({
      warmup: () => {},
      skip: () => {},
      bar: (bar) => {
        if (++bars === 20) {
          // The new version: the same times, another close (so each line is just as long).
          writeFileSync(join(dir, 'BUSDT.csv.part'), csv(300, 177, descending));
          renameSync(join(dir, 'BUSDT.csv.part'), join(dir, 'BUSDT.csv'));
        }
        if (bar.symbol === 'BUSDT') closes.add(Number(bar.close));
      },
    });
    let refused: unknown = null;
    await run.catch((err: unknown) => {
      refused = err;
    });
    if (refused !== null) {
      assert.ok(refused instanceof DataError, `a refusal, not a crash: ${String(refused)}`);
      assert.match((refused as Error).message, /BUSDT\.csv/);
    } else {
      assert.equal(bars, 600);
      assert.deepEqual([...closes], [closes.values().next().value], 'every BUSDT bar from one version of the file');
    }
  });
}
