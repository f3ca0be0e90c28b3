/**
 * The block of shared memory between the loop and its writer thread: how many batches are in
 * flight, and whether the thread has failed and why. The failure is written here, before the
 * thread notifies, because a loop blocked in Atomics.wait cannot receive a message.
 */
import { EventLogError } from './event-log-error.ts';

/** Int32 slots. */
export const IN_FLIGHT = 0;
const FAILED = 1;
const MESSAGE_LENGTH = 2;
const HEADER_INTS = 4;
const MESSAGE_BYTES = 1024;
export const CONTROL_BYTES = HEADER_INTS * 4 + MESSAGE_BYTES;

/** Writer thread: records the failure (once), then wakes the loop. */
export function reportFailure(control: Int32Array, failure: EventLogError): void {
  if (Atomics.load(control, FAILED) !== 0) return;
  const bytes = Buffer.from(`${failure.systemCode}\n${failure.message}`);
  const room = new Uint8Array(control.buffer, HEADER_INTS * 4, MESSAGE_BYTES);
  const length = Math.min(bytes.length, MESSAGE_BYTES);
  room.set(bytes.subarray(0, length));
  Atomics.store(control, MESSAGE_LENGTH, length);
  Atomics.store(control, FAILED, 1);
  Atomics.notify(control, IN_FLIGHT);
}

/** Loop: the failure the thread reported, or null. */
export function readFailure(control: Int32Array, path: string): EventLogError | null {
  if (Atomics.load(control, FAILED) === 0) return null;
  const length = Atomics.load(control, MESSAGE_LENGTH);
  // Copied out of shared memory first: decoders refuse views of a SharedArrayBuffer.
  const text = Buffer.from(new Uint8Array(control.buffer, HEADER_INTS * 4, length).slice()).toString('utf8');
  const cut = text.indexOf('\n');
  return new EventLogError(path, text.slice(0, cut), text.slice(cut + 1));
}
