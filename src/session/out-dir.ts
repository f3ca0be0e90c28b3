/** The run's artifacts folder (--out): created, and refused by name when it cannot be or is not ours. */
import { UsageError } from '../errors.ts';
import { makeDirs } from './make-dirs.ts';
import { foreignFolder } from './own-folder.ts';

export function makeOutDir(outDir: string): void {
  try {
    makeDirs(outDir);
  } catch (err) {
    throw new UsageError(`--out ${outDir}: cannot create the artifacts folder (${(err as Error).message}). Choose a writable folder.`);
  }
  const foreign = foreignFolder(outDir, '--out');
  if (foreign !== null) throw new UsageError(foreign);
}
