/**
 * The PostgreSQL journal's tables: one schema (`tradeloop` by default) for every session, each row
 * keyed by its session's name. The same tables as SQLite's file (event-columns.ts gives each event
 * type its typed table), with `session` in front of every key:
 *
 * - `sessions`: the run's identity (SQLite's meta), one row a session;
 * - `segments`: each start and resume, numbered per session;
 * - `units`: which events make one unit, keyed by the unit's first seq (an event's `unit` column
 *   names it), with a cycle's provenance, a command's recorded prices and `cursor`: where the
 *   session stood in its NATS stream (a stream sequence) when the unit was made, for a feed that
 *   resumes from the journal (null for a Binance session);
 * - `warmup`: history bars before the first decision, in delivery order (`ord`);
 * - `ev_<type>`: each event type's fields as typed columns. Money is `numeric` (exact at any size,
 *   read back as text and then BigInt), ticks, lots and times `bigint`, never a float.
 *
 * Tables are created on first use, in one transaction under a transaction-level advisory lock, so
 * two sessions starting at once on an empty database do not race each other's CREATE TABLE.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { EventType } from '../events/types.ts';
import { type Codec, columnName, EVENT_COLUMNS } from './event-columns.ts';

export const DEFAULT_SCHEMA = 'tradeloop';
/** A session's name: what its rows are keyed by and what its lock is taken on (and safe in any message). */
export const SESSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** A schema name used unquoted in statements: lower case, digits and underscores. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
export const EVENT_TYPES = Object.keys(EVENT_COLUMNS) as EventType[];

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`journal: ${JSON.stringify(schema)} is not a schema name (lower case letters, digits and _)`);
  return schema;
}

/** PostgreSQL column types for the codecs. */
export function pgType(codec: Codec): string {
  switch (codec) {
    case 'text':
    case 'json':
      return 'text';
    case 'int':
    case 'ticks':
    case 'lots':
      return 'bigint';
    case 'real':
      return 'double precision';
    case 'money':
      return 'numeric';
  }
}

/** The quoted column names of an event type's fields, in order. */
export function eventColumns(type: EventType): string[] {
  return EVENT_COLUMNS[type].map((c) => `"${columnName(c.field)}"`);
}

/** A 64-bit advisory lock key from a text: the first 8 bytes of its SHA-256, as PostgreSQL's signed bigint. */
function lockKey(text: string): bigint {
  return createHash('sha256').update(text).digest().readBigInt64BE(0);
}

/** The key a session holds its name's advisory lock on, for its life. */
export function sessionLockKey(session: string): bigint {
  return lockKey(`tradeloop session ${session}`);
}

/** Held (for one transaction) while the tables are created: one creator at a time. */
const DDL_KEY = lockKey('tradeloop schema');

/** pg_locks shows a bigint advisory key as two unsigned halves: classid the high 32 bits, objid the low. */
export function lockKeyHalves(key: bigint): { classid: string; objid: string } {
  const u = BigInt.asUintN(64, key);
  return { classid: String(u >> 32n), objid: String(u & 0xffff_ffffn) };
}

function tables(schema: string): Map<string, { create: string; columns: Array<[string, string]> }> {
  const out = new Map<string, { create: string; columns: Array<[string, string]> }>();
  const table = (name: string, columns: Array<[string, string]>, key: string): void => {
    out.set(name, {
      create: `CREATE TABLE IF NOT EXISTS ${schema}.${name} (${columns.map(([c, t]) => `${c} ${t}`).join(', ')}, PRIMARY KEY (${key}))`,
      columns,
    });
  };
  table(
    'sessions',
    [
      ['session', 'text NOT NULL'],
      ['version', 'text NOT NULL'],
      ['run_id', 'text NOT NULL'],
      ['mode', 'text NOT NULL'],
      ['options', 'text NOT NULL'],
      ['run_start', 'text NOT NULL'],
      ['argv', 'text NOT NULL'],
      ['cwd', 'text NOT NULL'],
    ],
    'session',
  );
  table(
    'segments',
    [
      ['session', 'text NOT NULL'],
      ['id', 'integer NOT NULL'],
      ['kind', 'text NOT NULL'],
      ['after_seq', 'bigint NOT NULL'],
      ['started_at', 'bigint'],
      ['ended_at', 'bigint'],
      ['status', 'text'],
      ['summary', 'text'],
      ['restored', 'text'],
    ],
    'session, id',
  );
  table(
    'units',
    [
      ['session', 'text NOT NULL'],
      ['first_seq', 'bigint NOT NULL'],
      ['last_seq', 'bigint NOT NULL'],
      ['kind', 'text NOT NULL'],
      ['segment', 'integer NOT NULL'],
      ['file', 'text'],
      ['line', 'bigint'],
      ['newest', 'bigint'],
      ['command', 'text'],
      ['cursor', 'bigint'],
    ],
    'session, first_seq',
  );
  table(
    'warmup',
    [
      ['session', 'text NOT NULL'],
      ['ord', 'integer NOT NULL'],
      ['symbol', 'text NOT NULL'],
      ['interval', 'text NOT NULL'],
      ['open_time', 'bigint NOT NULL'],
      ['open', 'bigint NOT NULL'],
      ['high', 'bigint NOT NULL'],
      ['low', 'bigint NOT NULL'],
      ['close', 'bigint NOT NULL'],
      ['volume', 'double precision NOT NULL'],
      ['source', 'text NOT NULL'],
    ],
    'session, ord',
  );
  for (const type of EVENT_TYPES) {
    const cols: Array<[string, string]> = EVENT_COLUMNS[type].map((c) => [`"${columnName(c.field)}"`, pgType(c.codec)]);
    table(`ev_${type}`, [['session', 'text NOT NULL'], ['seq', 'bigint NOT NULL'], ['unit', 'bigint NOT NULL'], ...cols], 'session, seq');
  }
  return out;
}

/**
 * Creates what is missing: the schema, a table, or a column added since (every added column is
 * optional, so older rows read back as they were). Nothing is done, and no privilege to create is
 * needed, when all is there already.
 */
export async function ensureSchema(client: pg.Client, schema: string): Promise<void> {
  const want = tables(schema);
  const have = await client.query<{ table_name: string; column_name: string }>(
    'SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1',
    [schema],
  );
  const present = new Set(have.rows.map((r) => `${r.table_name}.${r.column_name}`));
  const missing = [...want].some(([name, t]) => t.columns.some(([c]) => !present.has(`${name}.${c.replaceAll('"', '')}`)));
  if (!missing) return;
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [DDL_KEY]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    for (const [name, t] of want) {
      await client.query(t.create);
      // A column added to an event type since its table was made (a new table has them all already).
      for (const [c, type] of t.columns) {
        if (!present.has(`${name}.${c.replaceAll('"', '')}`))
          await client.query(`ALTER TABLE ${schema}.${name} ADD COLUMN IF NOT EXISTS ${c} ${type.replace(' NOT NULL', '')}`);
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** Whether the journal's tables exist (a reader creates nothing). */
export async function schemaExists(client: pg.Client, schema: string): Promise<boolean> {
  const r = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`${schema}.sessions`]);
  return r.rows[0]?.t !== null && r.rows[0]?.t !== undefined;
}

/** Deletes every row of one session (its run, segments, units, events and warm-up). */
export async function deleteSessionRows(client: pg.Client, schema: string, session: string): Promise<void> {
  for (const name of tables(schema).keys()) await client.query(`DELETE FROM ${schema}.${name} WHERE session = $1`, [session]);
}
