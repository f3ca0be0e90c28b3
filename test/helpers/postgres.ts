/**
 * The PostgreSQL the tests use: TRADELOOP_TEST_PG, a database URL that `.ci/run` sets (through
 * scripts/with-postgres.sh, which starts a throwaway cluster). Unset outside CI, a test skips and
 * says why; unset under CI=true, it fails: CI must test the PostgreSQL journal, not pass it by.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import type { Journal } from '../../src/journal/journal.ts';
import { deleteSessionRows } from '../../src/journal/postgres-schema.ts';

export const PG_URL = process.env.TRADELOOP_TEST_PG?.trim() || null;

export const PG_SKIP = 'TRADELOOP_TEST_PG not set: run the PostgreSQL tests through scripts/with-postgres.sh (it starts a throwaway cluster)';

/** The skip option of a PostgreSQL test: a reason outside CI; false under CI=true (it runs, and pgUrl fails it). */
export function pgSkip(): string | false {
  return PG_URL === null && process.env.CI !== 'true' ? PG_SKIP : false;
}

/** The database URL; fails under CI=true when it is missing (the caller skips with pgSkip() otherwise). */
export function pgUrl(): string {
  if (PG_URL === null) assert.fail('TRADELOOP_TEST_PG is not set under CI=true: .ci/run should have started PostgreSQL (scripts/with-postgres.sh) and set it.');
  return PG_URL;
}

/** A name no other test (or test process) uses: a session name or a schema. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export interface PgTest {
  readonly url: string;
  /** The test's own connection, for looking at and cleaning up what the code under test wrote. */
  readonly admin: pg.Client;
  /** A schema of the test's own, dropped after it. */
  schema(): string;
  /** A session name of the test's own in the default schema; its rows are deleted after the test. */
  session(prefix?: string): string;
  /** A journal the test opened: closed after it, before its schema goes. */
  track<J extends Journal>(journal: J): J;
}

/**
 * What a PostgreSQL test needs, with one cleanup after it, in the order that cannot hang: the
 * journals it opened closed, then its schemas dropped and its sessions' rows deleted, then the
 * test's own connection ended.
 */
export async function pgTest(t: TestContext): Promise<PgTest> {
  const url = pgUrl();
  const admin = new pg.Client({ connectionString: url });
  admin.on('error', () => {});
  await admin.connect();
  const schemas: string[] = [];
  const sessions: string[] = [];
  const journals: Journal[] = [];
  t.after(async () => {
    try {
      for (const j of journals) await j.close();
      for (const s of schemas) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      const table = await admin.query<{ e: boolean }>("SELECT to_regclass('tradeloop.sessions') IS NOT NULL AS e");
      if (table.rows[0]?.e) for (const s of sessions) await deleteSessionRows(admin, 'tradeloop', s);
    } finally {
      await admin.end();
    }
  });
  return {
    url,
    admin,
    schema: () => {
      const s = uniqueName('tl_test');
      schemas.push(s);
      return s;
    },
    session: (prefix = 'test') => {
      const s = uniqueName(prefix);
      sessions.push(s);
      return s;
    },
    track: (journal) => {
      journals.push(journal);
      return journal;
    },
  };
}
