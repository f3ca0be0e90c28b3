/**
 * What a path is when it is not a plain file. A FIFO or a device never ends (or never starts):
 * reading one as data hangs without a word, so every reader of a user's file asks first.
 */
import type { Stats } from 'node:fs';

/** What a path is when it is not a regular file ("a FIFO", "a character device", …); null for a file. */
export function notRegularFile(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}
