/**
 * The fleet's halt state in its JetStream key-value bucket: one key, `halt`, whose entries are
 * signed halt and resume messages. The state is the valid entry with the newest signed time, not
 * merely the last one written: a client without the token may write the key (NATS lets it), but
 * what it writes does not verify, and a halt or resume it captured and writes again is older than
 * the state in force. Sessions and the CLI judge entries with the same function.
 */
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstreamManager } from '@nats-io/jetstream';
import { type KV, type KvEntry, Kvm } from '@nats-io/kv';
import { checkControl, type FleetControl, HALT_HISTORY, HALT_KEY } from './fleet-message.ts';
import type { FleetKey } from './fleet-token.ts';

/** The fleet's halt state: the newest valid halt or resume, and the bucket revision it came with. */
export interface HaltState {
  readonly control: FleetControl;
  readonly revision: number;
}

/** newer: the entry is the state now; older: valid but not newer than the state (a replay when it arrives live); refused: not valid. */
export type HaltVerdict =
  | { readonly kind: 'newer'; readonly state: HaltState }
  | { readonly kind: 'older'; readonly why: string }
  | { readonly kind: 'refused'; readonly why: string };

/** The entry's part a verdict reads (a KvEntry has it). */
export type HaltEntry = Pick<KvEntry, 'operation' | 'revision'> & { string(): string };

/** Whether the fleet's bucket exists on this server: some session or command of this fleet name has been here. */
export async function fleetBucketExists(nc: NatsConnection, fleet: string): Promise<boolean> {
  try {
    await (await jetstreamManager(nc)).streams.info(`KV_${fleet}`);
    return true;
  } catch (err) {
    if (/not found/i.test((err as Error).message)) return false;
    throw err;
  }
}

/** Opens the fleet's bucket, making it on first use (sessions and the CLI make it alike, so either may come first). */
export async function openFleetBucket(nc: NatsConnection, fleet: string): Promise<KV> {
  return new Kvm(nc).create(fleet, { history: HALT_HISTORY });
}

export function judgeHaltEntry(key: FleetKey, fleet: string, entry: HaltEntry, current: HaltState | null): HaltVerdict {
  if (entry.operation !== 'PUT') return { kind: 'refused', why: `a ${entry.operation} of the halt key (revision ${entry.revision}), which carries no MAC` };
  let text: string;
  try {
    text = entry.string();
  } catch {
    return { kind: 'refused', why: `revision ${entry.revision} is not text` };
  }
  const checked = checkControl(key, text, fleet);
  if (!checked.ok) return { kind: 'refused', why: `revision ${entry.revision}: ${checked.why}` };
  const c = checked.control;
  if (c.action !== 'halt' && c.action !== 'resume') return { kind: 'refused', why: `revision ${entry.revision}: a ${c.action} message is no halt state` };
  if (current !== null && c.at <= current.control.at)
    return {
      kind: 'older',
      why: `revision ${entry.revision}: a ${c.action} signed at ${new Date(c.at).toISOString()}, not newer than the state in force (${new Date(current.control.at).toISOString()}): a replay`,
    };
  return { kind: 'newer', state: { control: c, revision: entry.revision } };
}

export interface HaltHistory {
  readonly state: HaltState | null;
  /** The newest entry of the key when it is not valid (what a reader of the last value would have taken), else null. */
  readonly newestRefused: string | null;
  /** The newest revision of the key seen (0: none): a watch goes on after it. */
  readonly lastRevision: number;
}

/** Reads the key's history: the state in force, and whether its newest entry was refused. */
export async function readHaltHistory(kv: KV, key: FleetKey, fleet: string): Promise<HaltHistory> {
  let state: HaltState | null = null;
  let newestRefused: string | null = null;
  let lastRevision = 0;
  for await (const entry of await kv.history({ key: HALT_KEY })) {
    const v = judgeHaltEntry(key, fleet, entry, state);
    if (v.kind === 'newer') state = v.state;
    newestRefused = v.kind === 'refused' ? v.why : null;
    lastRevision = Math.max(lastRevision, entry.revision);
  }
  return { state, newestRefused, lastRevision };
}
