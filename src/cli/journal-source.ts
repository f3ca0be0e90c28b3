/**
 * Where `verify`, `export` and `report` read a journal from: a folder's journal.sqlite (RUN_DIR or
 * --state DIR), or a session in PostgreSQL (--journal URL --session NAME). A reader of PostgreSQL
 * takes no lock and writes nothing: it reads one snapshot, so a running session can be read.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Instrument } from '../broker/instrument.ts';
import { redactUrl } from '../config/redact-url.ts';
import type { Journal } from '../journal/journal.ts';
import { openJournalStore } from '../journal/open-journal-store.ts';
import { JOURNAL_FILE } from '../session/journal-wiring.ts';
import type { Refuse } from './common-flags.ts';
import { JOURNAL_FLAGS, parseJournalFlags } from './journal-flags.ts';
import { UsageError } from './usage-error.ts';

export type JournalSource = { readonly kind: 'sqlite'; readonly dir: string } | { readonly kind: 'postgres'; readonly url: string; readonly session: string };

/** The flags naming a journal to read: --state DIR, or --journal URL --session NAME. */
export const SOURCE_FLAGS = { state: { type: 'string' }, ...JOURNAL_FLAGS } as const;

/** The journal the flags (or a folder given as an argument) name; null when they name none. */
export function journalSourceOf(
  v: { readonly state?: string; readonly journal?: string; readonly session?: string },
  folder: string | undefined,
  refuse: Refuse,
): JournalSource | null {
  const pg = parseJournalFlags(v, refuse);
  if (pg !== null) {
    if (folder !== undefined) throw refuse(`${folder}: give a run folder or --journal URL --session NAME, not both.`);
    return { kind: 'postgres', url: pg.url, session: pg.session };
  }
  const dir = v.state ?? folder;
  return dir === undefined ? null : { kind: 'sqlite', dir };
}

/** Where the journal is, for messages: the file, or the database (its password hidden) and session. */
export function sourceLabel(src: JournalSource): string {
  return src.kind === 'sqlite' ? join(src.dir, JOURNAL_FILE) : `${redactUrl(src.url)} session ${src.session}`;
}

/** Where the journal is: DIR/journal.sqlite, DIR being --state or a realtime run's folder. */
export function journalPath(dir: string): string {
  const path = join(dir, JOURNAL_FILE);
  if (!existsSync(path)) {
    throw new UsageError(
      `${dir}: no journal (${JOURNAL_FILE}). A session keeps one in its state folder: --state DIR, or a realtime run's --out folder; a static run without --state has none (a session with --journal URL --session NAME keeps it in PostgreSQL: name those).`,
    );
  }
  return path;
}

/** Opens the journal for reading. */
export function openJournalReader(src: JournalSource, instruments: ReadonlyMap<string, Instrument>): Promise<Journal> {
  return src.kind === 'sqlite'
    ? openJournalStore({ kind: 'sqlite', path: journalPath(src.dir), durable: false, instruments })
    : openJournalStore({ kind: 'postgres', url: src.url, session: src.session, durable: false, instruments, readOnly: true });
}

/** What a reader says when the journal holds no run (a new one, or no session of that name). */
export function noRun(src: JournalSource): UsageError {
  return new UsageError(
    src.kind === 'sqlite'
      ? `${sourceLabel(src)}: the journal holds no run yet.`
      : `${sourceLabel(src)}: no run of session ${src.session} in this database (check --session: a session's journal is under the name it ran with).`,
  );
}
