/**
 * What the fleet's control messages say and how they prove who sent them. A message is JSON: the
 * fleet it is for, the action (halt, resume, flatten, status), the halt's severity, a reason, who
 * sent it and when (wall ms), a random nonce, and `mac`: HMAC-SHA256 under the fleet token of the
 * canonical form of everything else. The fleet name inside the MAC keeps a message of one fleet
 * from acting in another; `at` and the nonce let a session refuse a captured message sent again
 * (fleet-member.ts: a halt state older than the one applied, a request outside the freshness window
 * or seen before). Where the fleet keeps what: the halt state in the JetStream key-value bucket
 * named after the fleet (key `halt`); flatten and status are requests on core subjects that every
 * member answers.
 */
import { randomBytes } from 'node:crypto';
import { HALT_SEVERITIES, type HaltSeverity } from '../events/reasons.ts';
import type { FleetKey } from './fleet-token.ts';

/** The fleet (and its bucket) when --fleet-name is not given. */
export const DEFAULT_FLEET = 'tradeloop_fleet';
/** The bucket's one key: the fleet's halt state. */
export const HALT_KEY = 'halt';
/** Entries of the halt key kept: a session starting takes the newest valid one by its signed time, not merely the last written. */
export const HALT_HISTORY = 64;
/** A fleet name is a bucket name and a subject token: letters, digits, `_` and `-`. */
const FLEET_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_REASON = 200;
const MAX_BY = 100;
const DOMAIN = 'tradeloop-fleet-control/1 ';

export type FleetAction = 'halt' | 'resume' | 'flatten' | 'status';
const ACTIONS: readonly FleetAction[] = ['halt', 'resume', 'flatten', 'status'];

export interface FleetControl {
  readonly fleet: string;
  readonly action: FleetAction;
  /** halt: halted or reducing; null for the other actions. */
  readonly severity: HaltSeverity | null;
  readonly reason: string | null;
  /** user@host of the sender, for the journal and the terminal. */
  readonly by: string;
  /** The sender's wall clock (ms). */
  readonly at: number;
  readonly nonce: string;
}

/** A refusal's `unsigned`: no MAC, or one the fleet token does not make (the sender lacks this fleet's token). */
export type CheckedControl = { readonly ok: true; readonly control: FleetControl } | { readonly ok: false; readonly why: string; readonly unsigned?: true };

/**
 * What a member answers a request (status, flatten) not signed with its fleet token: that it
 * refused, and nothing else about itself. The operator's CLI then says its token is not the
 * fleet's instead of "no session answered".
 */
export const REFUSED_UNSIGNED = { refused: 'fleet_token' } as const;

export function isRefusedUnsigned(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { refused?: unknown }).refused === REFUSED_UNSIGNED.refused;
}

/** A fleet name's refusal, or null when it is a usable name. */
export function fleetNameProblem(name: string): string | null {
  return FLEET_NAME.test(name)
    ? null
    : `expected 1 to 64 letters, digits, _ or - (it names the fleet's key-value bucket and its subjects), e.g. ${DEFAULT_FLEET}`;
}

/** The core subject a fleet's members answer `status` or `flatten` requests on. */
export function fleetSubject(fleet: string, action: 'status' | 'flatten'): string {
  return `tradeloop.fleet.${fleet}.${action}`;
}

function canonical(c: FleetControl): string {
  // An array in a fixed order: no key order or whitespace can make two texts of one message.
  return DOMAIN + JSON.stringify([c.fleet, c.action, c.severity, c.reason, c.by, c.at, c.nonce]);
}

/** A new message for `fleet`, signed: the text to put or send. */
export function signControl(
  key: FleetKey,
  fields: { fleet: string; action: FleetAction; severity?: HaltSeverity | null; reason?: string | null; by: string; at: number },
): { text: string; control: FleetControl } {
  const control: FleetControl = {
    fleet: fields.fleet,
    action: fields.action,
    severity: fields.severity ?? null,
    reason: fields.reason === undefined || fields.reason === null ? null : fields.reason.slice(0, MAX_REASON),
    by: fields.by.slice(0, MAX_BY),
    at: fields.at,
    nonce: randomBytes(16).toString('hex'),
  };
  return { text: JSON.stringify({ ...control, mac: key.mac(canonical(control)) }), control };
}

/** Reads and checks a message for `fleet`: its form, its MAC under the token, its fleet. Freshness is the receiver's to judge. */
export function checkControl(key: FleetKey, text: string, fleet: string): CheckedControl {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { ok: false, why: 'not a fleet control message (not JSON)' };
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return { ok: false, why: 'not a fleet control message (not a JSON object)' };
  const o = v as Record<string, unknown>;
  if (typeof o.mac !== 'string' || o.mac === '') return { ok: false, why: 'no MAC: sent without the fleet token', unsigned: true };
  const action = o.action as FleetAction;
  const severity = o.severity ?? null;
  if (
    typeof o.fleet !== 'string' ||
    !ACTIONS.includes(action) ||
    (severity !== null && !(HALT_SEVERITIES as readonly unknown[]).includes(severity)) ||
    (action === 'halt') !== (severity !== null) ||
    (o.reason !== null && typeof o.reason !== 'string') ||
    typeof o.by !== 'string' ||
    typeof o.at !== 'number' ||
    !Number.isSafeInteger(o.at) ||
    typeof o.nonce !== 'string'
  )
    return { ok: false, why: 'not a fleet control message (a field is missing or of the wrong type)' };
  const control: FleetControl = {
    fleet: o.fleet,
    action,
    severity: severity as HaltSeverity | null,
    reason: o.reason as string | null,
    by: o.by,
    at: o.at,
    nonce: o.nonce,
  };
  if (!key.verify(canonical(control), o.mac)) return { ok: false, why: 'a wrong MAC: signed with another fleet token, or altered on the way', unsigned: true };
  if (control.fleet !== fleet) return { ok: false, why: `signed for fleet ${control.fleet.slice(0, 64)}, not this one (${fleet})` };
  return { ok: true, control };
}

/** How a halt state reads in a journal and on a terminal: `fleet halt (reducing) by alice@desk at …: reason`. */
export function describeControl(c: FleetControl): string {
  const what = c.action === 'halt' ? `fleet halt${c.severity === 'reducing' ? ' (reducing)' : ''}` : `fleet ${c.action}`;
  return `${what} by ${c.by} at ${new Date(c.at).toISOString()}${c.reason ? `: ${c.reason}` : ''}`;
}
