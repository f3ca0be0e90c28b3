/**
 * The journal-store contract on PostgreSQL (TRADELOOP_TEST_PG): each test a schema of its own,
 * dropped after it, its journal opened through the store factory as a session would open it.
 */
import { test } from 'node:test';
import { openJournalStore } from '../../src/journal/open-journal-store.ts';
import { pgSkip, pgTest } from '../helpers/postgres.ts';
import { CONTRACT_INSTRUMENTS, journalStoreContract } from './journal-store.contract.ts';

const skip = pgSkip();
if (skip !== false) test('journal store contract (PostgreSQL)', { skip }, () => {});
else {
  journalStoreContract('PostgreSQL', async (t) => {
    const pgt = await pgTest(t);
    const schema = pgt.schema();
    const session = pgt.session('contract');
    return {
      open: async () =>
        pgt.track(await openJournalStore({ kind: 'postgres', url: pgt.url, session, schema, durable: true, instruments: CONTRACT_INSTRUMENTS })),
    };
  });
}
