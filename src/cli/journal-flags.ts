/**
 * `--journal URL --session NAME`: a session's journal in PostgreSQL instead of its state folder's
 * SQLite file. The same refusals for `run` and for what reads a journal (verify, export, report):
 * the two flags go together, a URL that is not PostgreSQL's is refused by name (its password never
 * shown), a session name must be safe to key rows and take a lock on, and `--state` beside them is
 * refused rather than one of the two being ignored.
 */
import { redactUrl } from '../config/redact-url.ts';
import { SESSION_NAME } from '../journal/postgres-schema.ts';
import type { Refuse } from './common-flags.ts';

export interface JournalFlags {
  /** postgres://user:password@host:port/database, as given (only redacted when shown). */
  readonly url: string;
  readonly session: string;
}

export const JOURNAL_FLAGS = {
  journal: { type: 'string' },
  session: { type: 'string' },
} as const;

export function parseJournalFlags(v: { readonly journal?: string; readonly session?: string; readonly state?: string }, refuse: Refuse): JournalFlags | null {
  const raw = v.journal?.trim() || undefined;
  const session = v.session?.trim() || undefined;
  if (raw === undefined && session === undefined) return null;
  if (raw === undefined)
    throw refuse(
      `--session ${session}: names a session in a PostgreSQL journal; give its database with --journal postgres://user@host:5432/database (a session in a state folder is named by --state DIR).`,
    );
  const shown = redactUrl(raw);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse(`--journal ${shown}: not a URL. Give a PostgreSQL URL such as postgres://user@127.0.0.1:5432/tradeloop.`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw refuse(
      `--journal ${shown}: expected a postgres:// URL (PostgreSQL is the journal store --journal names; the default, SQLite, lives in --state DIR).`,
    );
  if (session === undefined) throw refuse(`--journal ${shown} needs --session NAME: the session's name in that database (it resumes under the same name).`);
  if (!SESSION_NAME.test(session))
    throw refuse(
      `--session ${JSON.stringify(session.slice(0, 80))}: a session name is 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit, e.g. --session btc-sma.`,
    );
  if (v.state !== undefined)
    throw refuse(
      `--journal with --state: give one. --state DIR keeps the session's journal in DIR (SQLite); --journal URL --session NAME keeps it in PostgreSQL, locked by the session's name.`,
    );
  return { url: raw, session };
}
