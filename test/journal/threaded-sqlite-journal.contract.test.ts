/** The journal-store contract on SQLite with its appends on the writer thread (static runs): a real file, a real thread. */
import { join } from 'node:path';
import { openJournalStore } from '../../src/journal/open-journal-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { CONTRACT_INSTRUMENTS, journalStoreContract } from './journal-store.contract.ts';

journalStoreContract('SQLite, writer thread', async (t) => {
  const path = join(await tempDir(t, 'tl-journal-threaded-'), 'journal.sqlite');
  return { open: () => openJournalStore({ kind: 'sqlite', path, durable: false, instruments: CONTRACT_INSTRUMENTS, thread: true }) };
});
