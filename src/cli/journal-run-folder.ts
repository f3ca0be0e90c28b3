/**
 * A journal laid out as a run folder, for `tradeloop report --journal URL --session NAME`: its
 * events as events.ndjson (the very lines the session's log had, as a resume rebuilds them), the
 * last segment's summary as summary.json, and trades.csv and equity.csv made again by replaying the
 * journal through the loop (as `export --what trades` does), so the report cannot disagree with it.
 */
import { once } from 'node:events';
import { createWriteStream, writeFileSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import { serializeEvent } from '../events/serialize.ts';
import { lotStepsOf } from '../journal/journal.ts';
import { replayJournal } from './journal-replay.ts';
import type { JournalSource } from './journal-source.ts';

/** Writes the run folder's four files into `dir` (an empty folder). */
export async function writeJournalRunFolder(src: JournalSource, dir: string): Promise<void> {
  const r = await replayJournal(src, dir);
  try {
    const lots = await lotStepsOf(r.journal);
    const out = createWriteStream(join(dir, 'events.ndjson'));
    for await (const { seq, event } of r.journal.events(1)) {
      if (!out.write(`${serializeEvent(seq, event, lots)}\n`)) await once(out, 'drain');
    }
    out.end();
    await finished(out);
    // A segment that never ended (a crash) has no summary: the report then says it has none.
    const last = (await r.journal.segments()).at(-1);
    if (last?.summary) writeFileSync(join(dir, 'summary.json'), `${JSON.stringify(last.summary, null, 2)}\n`);
  } finally {
    await r.journal.close();
  }
}
