/**
 * `tradeloop export (--state DIR | --journal URL --session NAME) --format ndjson|csv [--what events|trades|equity|bars] [--out FILE]`:
 * what the journal holds, for a notebook. Events and bars are read off the journal as they are;
 * trades and equity are the run's own tables, made again by replaying the journal through the loop
 * (the same code that wrote trades.csv and equity.csv), so they cannot disagree with the journal.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPrice } from '../domain/price.ts';
import { LotSteps } from '../events/lot-steps.ts';
import { serializeEvent } from '../events/serialize.ts';
import { csvField, splitCsvLine } from '../sinks/csv-file.ts';
import type { JournalRun, SeqEvent } from '../journal/journal.ts';
import type { CliIo } from './cli-io.ts';
import { parseFlags } from './common-flags.ts';
import { isJournalReadError, replayJournal, unreadable } from './journal-replay.ts';
import { journalSourceOf, noRun, openJournalReader, SOURCE_FLAGS } from './journal-source.ts';
import { UsageError } from './usage-error.ts';

export const EXPORT_USAGE =
  "Usage: tradeloop export (--state DIR | --journal URL --session NAME) --format ndjson|csv [--what events|trades|equity|bars] [--out FILE]\n  Write what the session's journal holds (default: every event) to stdout or FILE.\n";

const WHAT = ['events', 'trades', 'equity', 'bars'] as const;

function csvRows(header: string[], rows: Iterable<unknown[]>): string {
  let out = header.join(',') + '\n';
  for (const r of rows) out += r.map((v) => csvField(v === null || v === undefined ? '' : String(v))).join(',') + '\n';
  return out;
}

/** A csv table as ndjson: one object a row, named by the header (the values as text). */
function csvToNdjson(text: string): string {
  const [head, ...lines] = text.trim().split('\n');
  const names = head!.split(',');
  return lines.map((l) => JSON.stringify(Object.fromEntries(splitCsvLine(l).map((v, i) => [names[i], v])))).join('\n') + (lines.length > 0 ? '\n' : '');
}

export async function exportCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const refuse = (m: string): UsageError => new UsageError(`${m}\n${EXPORT_USAGE}`);
  const { values: v } = parseFlags(
    argv,
    {
      ...SOURCE_FLAGS,
      format: { type: 'string' },
      what: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    refuse,
  );
  if (v.help) {
    io.stdout(EXPORT_USAGE);
    return 0;
  }
  const src = journalSourceOf(v, undefined, refuse);
  if (src === null)
    throw refuse(
      "export needs --state DIR: the session's state folder (a realtime run's --out folder works too), or --journal URL --session NAME for a journal in PostgreSQL.",
    );
  const format = v.format ?? 'ndjson';
  if (format !== 'ndjson' && format !== 'csv') throw refuse(`--format ${format}: expected ndjson or csv.`);
  const what = (v.what ?? 'events') as (typeof WHAT)[number];
  if (!(WHAT as readonly string[]).includes(what)) throw refuse(`--what ${what}: expected ${WHAT.join(', ')}.`);
  let text: string;
  try {
    if (what === 'trades' || what === 'equity') {
      const dir = mkdtempSync(join(tmpdir(), 'tradeloop-export-'));
      try {
        const r = await replayJournal(src, dir);
        await r.journal.close();
        const csv = readFileSync(join(dir, what === 'trades' ? 'trades.csv' : 'equity.csv'), 'utf8');
        text = format === 'csv' ? csv : csvToNdjson(csv);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else {
      const probe = await openJournalReader(src, new Map());
      let run: JournalRun | null;
      try {
        run = await probe.readRun();
      } finally {
        await probe.close();
      }
      if (run === null) throw noRun(src);
      const lots = new Map(Object.entries(run.runStart.lotSizes).map(([s, step]) => [s, step]));
      const { makeInstrument } = await import('../broker/instrument.ts');
      const instruments = new Map([...lots].map(([s, step]) => [s, makeInstrument(s, step)!]));
      const lotSteps = LotSteps.of(instruments);
      const journal = await openJournalReader(src, instruments);
      try {
        if (what === 'events') {
          const events: SeqEvent[] = [];
          for await (const e of journal.events(1)) events.push(e);
          text =
            format === 'ndjson'
              ? events.map(({ seq, event }) => serializeEvent(seq, event, lotSteps)).join('\n') + (events.length > 0 ? '\n' : '')
              : csvRows(
                  ['seq', 'type', 'symbol', 'openTime', 'fields'],
                  events.map(({ seq, event }) => {
                    const { seq: _s, type, symbol, openTime, ...rest } = JSON.parse(serializeEvent(seq, event, lotSteps)) as Record<string, unknown>;
                    return [seq, type, symbol ?? '', openTime ?? '', JSON.stringify(rest)];
                  }),
                );
        } else {
          const rows: unknown[][] = [];
          for await (const u of journal.units()) {
            if (u.kind !== 'cycle' || !u.bar) continue;
            const b = u.bar;
            rows.push([
              b.symbol,
              b.interval,
              new Date(b.openTime).toISOString(),
              formatPrice(b.open),
              formatPrice(b.high),
              formatPrice(b.low),
              formatPrice(b.close),
              b.volume,
              b.source,
              u.provenance?.file ?? '',
              u.provenance?.line ?? '',
              u.provenance?.newestOpenTime ?? '',
            ]);
          }
          const header = ['symbol', 'interval', 'openTime', 'open', 'high', 'low', 'close', 'volume', 'origin', 'file', 'line', 'newestOpenTime'];
          text =
            format === 'csv'
              ? csvRows(header, rows)
              : rows.map((r) => JSON.stringify(Object.fromEntries(r.map((x, i) => [header[i], x])))).join('\n') + (rows.length > 0 ? '\n' : '');
        }
      } finally {
        await journal.close();
      }
    }
  } catch (err) {
    if (isJournalReadError(err)) throw unreadable(src, err);
    throw err;
  }

  if (v.out) {
    try {
      writeFileSync(v.out, text);
    } catch (err) {
      throw new UsageError(
        `--out ${v.out}: cannot write the export (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Name a file in a folder that exists and can be written, or leave --out out for stdout.`,
      );
    }
    io.stderr(`tradeloop export: ${what} as ${format} written to ${v.out}\n`);
  } else io.stdout(text);
  return 0;
}
