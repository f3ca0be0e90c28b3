/**
 * Another program that takes a journal's write lock and keeps it (SQLite BEGIN IMMEDIATE), once
 * the journal holds what `ready` (an SQL count) says: a running session then cannot commit, and
 * halts with reason `journal`.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** `readySql` returns one row with a column n: the lock is taken once n > `above`. */
export function holdJournalLock(journal: string, readySql: string, above: number): ChildProcess {
  return spawn(
    process.execPath,
    [
      '-e',
      `
    const { DatabaseSync } = require('node:sqlite');
    const db = new DatabaseSync(${JSON.stringify(journal)});
    db.exec('PRAGMA busy_timeout = 5000');
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const ready = () => { try { return db.prepare(${JSON.stringify(readySql)}).get().n > ${above}; } catch { return false; } };
    while (!ready()) Atomics.wait(pause, 0, 0, 2);
    db.exec('BEGIN IMMEDIATE');
    setTimeout(() => {}, 60000);`,
    ],
    { stdio: 'ignore' },
  );
}
