/**
 * A PostgreSQL journal's one connection: statements one after another (one connection runs one at
 * a time, and a transaction's statements must not interleave with anyone else's), transactions,
 * the session's advisory lock, and every failure as a JournalError that names where (the URL
 * without its password) and never carries a secret.
 *
 * The lock is held on this same connection: when the connection goes (a network cut, the server
 * ending it, the process killed) the lock goes with it, and so does every later write. A session
 * that lost its lock cannot go on writing beside the one that took the name next.
 */
import pg from 'pg';
import { secretScrubber } from '../config/redact-url.ts';
import { JournalError, JournalHeldError } from './journal.ts';
import { lockKeyHalves, sessionLockKey } from './postgres-schema.ts';

export type Row = Record<string, unknown>;

/** How long a start waits for a session of its name to let go before refusing. */
const LOCK_WAIT_MS = 2000;
/** SQLSTATE lock_not_available: lock_timeout expired. */
const LOCK_NOT_AVAILABLE = '55P03';

/** int8 and numeric come back as BigInt (as node:sqlite's setReadBigInts): never a float on the way. */
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC
      ? (text: string) => BigInt(text)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export class PgConnection {
  /** The database (its URL without the password) and the session: what every message starts with. */
  readonly location: string;
  private readonly client: pg.Client;
  private readonly session: string;
  private readonly scrub: (text: string) => string;
  /** Why the connection went away (and the lock with it): nothing more can be read or written. */
  private lost: Error | null = null;
  private closed = false;
  /** The last statement (or transaction) asked for: the next one starts after it. */
  private tail: Promise<void> = Promise.resolve();

  private constructor(url: string, session: string, location: string) {
    this.session = session;
    this.location = location;
    this.scrub = secretScrubber([url], { userIsName: true });
    this.client = new pg.Client({
      connectionString: url,
      // Named so that a refused second session can say who holds the name.
      application_name: `tradeloop ${session} pid ${process.pid}`.slice(0, 63),
      connectionTimeoutMillis: 15_000,
      keepAlive: true,
      types: TYPES,
    });
    // Without a listener a dropped connection would end the process; with it, the next call fails by name.
    this.client.on('error', (err) => {
      this.lost ??= err;
    });
  }

  static async connect(url: string, session: string, location: string): Promise<PgConnection> {
    const c = new PgConnection(url, session, location);
    try {
      await c.client.connect();
    } catch (err) {
      await c.client.end().catch(() => {});
      throw new JournalError(`${location}: cannot connect (${c.scrub((err as Error).message)})`, { cause: err });
    }
    return c;
  }

  /** The session's lock for the life of this connection; refused by name (JournalHeldError) when another connection holds it. */
  async lockSession(): Promise<void> {
    const key = sessionLockKey(this.session);
    // A short wait, server-side (lock_timeout applies to advisory locks too): a session killed a
    // moment ago still holds the name until its server process has seen the connection close, and
    // a supervisor's restart must not be refused for that. A live holder is refused after it.
    await this.q(`SET lock_timeout = '${LOCK_WAIT_MS}ms'`);
    try {
      await this.q('SELECT pg_advisory_lock($1)', [key]);
      return;
    } catch (err) {
      if ((err as { cause?: { code?: unknown } }).cause?.code !== LOCK_NOT_AVAILABLE) throw err;
    } finally {
      await this.q('RESET lock_timeout').catch(() => {});
    }
    const holder = await this.holder(key).catch(() => null);
    throw new JournalHeldError(
      `${this.location}: another tradeloop session named ${this.session}${holder === null ? '' : ` (${holder})`} holds its lock in this database. ` +
        `Stop that session first, or choose another --session. The lock is PostgreSQL's: it goes when that session's connection ends, however it ends.`,
    );
  }

  /** Who holds the lock, as far as this role may see (the holder's application name and address). */
  private async holder(key: bigint): Promise<string | null> {
    const { classid, objid } = lockKeyHalves(key);
    const [row] = await this.q<{ app: string | null; addr: string | null; since: Date | null }>(
      `SELECT a.application_name AS app, host(a.client_addr) AS addr, a.backend_start AS since
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid = $1::oid AND l.objid = $2::oid`,
      [classid, objid],
    );
    if (!row?.app) return null;
    return `${row.app}${row.addr ? ` from ${row.addr}` : ''}${row.since ? `, connected since ${row.since.toISOString()}` : ''}`;
  }

  /** A failure of the server or the connection as the journal's own error, secrets scrubbed. */
  failure(err: unknown): JournalError {
    if (err instanceof JournalError) return err;
    const why = this.lost ? `the connection to PostgreSQL was lost (${this.lost.message}), and the session's lock with it` : (err as Error).message;
    return new JournalError(`${this.location}: ${this.scrub(why)}`, { cause: err });
  }

  /** The client itself, for work that runs before any other statement (creating the tables). */
  get pg(): pg.Client {
    return this.client;
  }

  /** A statement on its own, after whatever was asked before it has finished. */
  q<R extends pg.QueryResultRow = Row>(text: string, values: unknown[] = [], name?: string): Promise<R[]> {
    return this.serial(() => this.raw<R>(text, values, name));
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /** A statement now: only inside a transaction's body (which holds the connection). */
  async raw<R extends pg.QueryResultRow = Row>(text: string, values: unknown[] = [], name?: string): Promise<R[]> {
    if (this.lost || this.closed) throw this.failure(new Error('the journal is closed'));
    try {
      const r = await this.client.query<R>(name === undefined ? { text, values } : { name, text, values });
      return r.rows;
    } catch (err) {
      throw this.failure(err);
    }
  }

  /** BEGIN, the body's statements (each through raw()), COMMIT: nothing else runs on the connection meanwhile. */
  async transaction(body: () => Promise<void>): Promise<void> {
    await this.serial(async () => {
      await this.raw('BEGIN');
      try {
        await body();
        await this.raw('COMMIT');
      } catch (err) {
        if (!this.lost) await this.client.query('ROLLBACK').catch(() => {});
        throw this.failure(err);
      }
    });
  }

  /** After what was asked before (a commit in flight ends first): `last` (COMMIT, an unlock), then the connection ends. A second call does nothing. */
  async close(last: string): Promise<void> {
    if (this.closed) return;
    await this.serial(async () => {
      if (this.closed) return;
      this.closed = true;
      if (!this.lost) await this.client.query(last).catch(() => {});
      await this.client.end().catch(() => {});
    });
  }
}
