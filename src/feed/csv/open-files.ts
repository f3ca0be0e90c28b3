/**
 * Every CSV read goes through here: the file is opened for the read and closed after it, at most
 * MAX_OPEN_FILES at a time in a thread (a run; a sweep's workers each keep their own count). A
 * cursor held its file open from the start of the run to its end, so a run over more files than
 * the process may open (`ulimit -n`: 1,024 on many Linux systems, 256 on macOS) died of EMFILE
 * with a stack trace; now the number of files does not matter. More than a few reads at once gain nothing: libuv reads files on 4 threads.
 *
 * A read that fails (the file gone or unreadable since the run began) is a DataError naming it, and
 * so is a file replaced under its name (a downloader renaming a new version over it): reopened by
 * path, the new file would be read at the old one's offsets, a silent mix of two versions under a
 * run id that hashed the first.
 */
import { fstatSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { DataError } from '../data-error.ts';

export const MAX_OPEN_FILES = 16;

/** The file a run opened (from its stat): every later open of the path must find the same one. */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

let open_ = 0;
const waiting: Array<() => void> = [];

async function slot(): Promise<void> {
  if (open_ < MAX_OPEN_FILES) {
    open_++;
    return;
  }
  // The slot is handed over by the one released (open_ stays counted), in the order asked.
  await new Promise<void>((resolve) => waiting.push(resolve));
}

function release(): void {
  const next = waiting.shift();
  if (next) next();
  else open_--;
}

/** Opens `path` (which must still be `ident` when given), runs `use` on it and closes it, within the limit. */
export async function withFile<T>(path: string, use: (handle: FileHandle) => Promise<T>, ident?: FileIdentity): Promise<T> {
  await slot();
  try {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      throw readRefusal(path, err);
    }
    try {
      if (ident !== undefined) {
        // fstat on an open descriptor answers from the inode in memory: no trip to the thread pool.
        const now = fstatSync(handle.fd);
        if (now.dev !== ident.dev || now.ino !== ident.ino) {
          throw new DataError(`${basename(path)} was replaced during the run (another file now has its name). Keep a run's data files in place until it ends.`);
        }
      }
      return await use(handle);
    } catch (err) {
      throw err instanceof DataError ? err : readRefusal(path, err);
    } finally {
      await handle.close();
    }
  } finally {
    release();
  }
}

/** Reads up to `length` bytes at `position` into `buffer`; the bytes read. */
export function readAt(path: string, buffer: Buffer, length: number, position: number, ident?: FileIdentity): Promise<{ bytesRead: number; buffer: Buffer }> {
  return withFile(path, (handle) => handle.read(buffer, 0, length, position), ident);
}

/** The refusal for a read that failed: the file by name, why in words that fit the cause. */
export function readRefusal(path: string, err: unknown): DataError {
  const e = err as NodeJS.ErrnoException;
  const file = basename(path);
  switch (e.code) {
    case 'ENOENT':
      return new DataError(`${file} could not be read: it is gone (removed or renamed since the run began). Keep a run's data files in place until it ends.`);
    case 'EACCES':
    case 'EPERM':
      return new DataError(`${file} could not be read: permission denied (${e.code}). Make it readable by this user.`);
    case 'EMFILE':
    case 'ENFILE':
      return new DataError(
        `${file} could not be read: the process may open no more files (${e.code}; the run itself keeps at most ${MAX_OPEN_FILES} CSV files open). Raise the limit (ulimit -n) or close what else holds files.`,
      );
    default:
      // The code and the system's words, without the path the message repeats (the file is named first).
      return new DataError(`${file} could not be read: ${e.code ?? 'error'} (${(e.message ?? String(err)).split(',')[0]}).`);
  }
}
