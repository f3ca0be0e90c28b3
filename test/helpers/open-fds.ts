/** File descriptors this process has open now (Linux: /proc/self/fd), for tests that check none leak. */
import { readdirSync } from 'node:fs';

export function openFileCount(): number {
  return readdirSync('/proc/self/fd').length;
}
