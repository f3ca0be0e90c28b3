/**
 * Folders a session writes its secrets and records into (--state, --out) must be this user's
 * alone to change: in a folder another user can write, they could swap control.json (and so take
 * the operator's halt and token), or plant a symlink where the session writes its journal or log.
 * Refused by name with the fix, never silently "repaired".
 */
import { constants, lstatSync, statSync } from 'node:fs';

/** Another user's hold on a path: its owner when that is not us, or the group/other write bits. */
function othersCanChange(path: string): { readonly owner: number } | { readonly mode: number } | null {
  const st = statSync(path);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return { owner: st.uid };
  // The sticky bit does not help here: it stops others deleting our files, not planting theirs.
  return (st.mode & 0o022) !== 0 ? { mode: st.mode & 0o777 } : null;
}

const octal = (mode: number): string => mode.toString(8).padStart(4, '0');

/** What is wrong with using `path` (an existing folder) as one of ours; null when nothing is. */
export function foreignFolder(path: string, flag: string): string | null {
  const other = othersCanChange(path);
  if (other === null) return null;
  if ('owner' in other) {
    return process.getuid?.() === 0
      ? `${flag} ${path} belongs to another user (uid ${other.owner}), who could change what the session writes there: use a folder root owns, or one of that user's own sessions.`
      : `${flag} ${path} belongs to another user (uid ${other.owner}). A session keeps its token and its records there: use a folder of your own.`;
  }
  return `${flag} ${path} can be written by ${other.mode & 0o002 ? 'every user' : 'its group'} (mode ${octal(other.mode)}): another user could replace control.json or plant a link where the session writes. Run chmod 700 ${path}, or choose another folder.`;
}

/** What is wrong with trusting `path` (an existing file, control.json) as ours; null when nothing is. */
export function foreignFile(path: string): string | null {
  const other = othersCanChange(path);
  if (other === null) return null;
  return 'owner' in other ? `${path} belongs to another user (uid ${other.owner}).` : `${path} can be written by other users (mode ${octal(other.mode)}).`;
}

/** A file the session is about to write or read as its own: refused when it is a symbolic link. */
export function linkedFile(path: string): string | null {
  try {
    return lstatSync(path).isSymbolicLink()
      ? `${path} is a symbolic link: tradeloop never writes or trusts its records through one. Remove it (the session makes the file itself).`
      : null;
  } catch {
    return null;
  }
}

/** open(2) flags that never follow a link at the last component. */
export const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
