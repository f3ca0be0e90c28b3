/**
 * A static run's id: a hash of its options and of its inputs' contents, never of paths, the
 * machine or the clock, so the same inputs give the same id in any clone.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function runIdOf(canonical: unknown): string {
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}
