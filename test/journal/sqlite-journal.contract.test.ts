/** The journal-store contract on SQLite: a real file in a temporary folder, opened through the store factory. */
import { join } from 'node:path';
import { openJournalStore } from '../../src/journal/open-journal-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { CONTRACT_INSTRUMENTS, journalStoreContract } from './journal-store.contract.ts';

journalStoreContract('SQLite', async (t) => {
  const path = join(await tempDir(t, 'tl-journal-contract-'), 'journal.sqlite');
  return { open: () => openJournalStore({ kind: 'sqlite', path, durable: true, instruments: CONTRACT_INSTRUMENTS }) };
});
