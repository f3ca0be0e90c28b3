/**
 * `mkdir -p`, bounded. Node's recursive mkdirSync loops forever where a file system answers a
 * create with ENOENT though the parent exists (/proc: `--out /proc/x` spun at 100 % CPU): here each
 * missing folder is created once, from the top, and any refusal is thrown as it is.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

export function makeDirs(path: string, mode = 0o777): void {
  const missing: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    try {
      if (!statSync(p).isDirectory()) throw Object.assign(new Error(`${p} is a file, not a folder`), { code: 'ENOTDIR' });
      break;
    } catch (err) {
      if (code(err) !== 'ENOENT' || dirname(p) === p) throw err;
      missing.push(p);
    }
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir, { mode });
    } catch (err) {
      // Made meanwhile by another process: fine, if it is a folder.
      if (code(err) !== 'EEXIST' || !statSync(dir).isDirectory()) throw err;
    }
  }
}
