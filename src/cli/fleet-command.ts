/**
 * The fleet's kill switch and status at the command line: `tradeloop halt|resume|flatten --fleet
 * --nats URL` and `tradeloop fleet status --nats URL`. Halt and resume write the fleet's halt state
 * into its key-value bucket (every member watches it; a session started later reads it), then wait
 * up to --wait for every member that answers to report it applied, and print them. Flatten is an
 * action: a request every live member applies once and answers. Status is a request too: members
 * answer within the collection window, so the list is who is alive now, without entries to expire.
 * Every message is signed with the fleet token; without the right one, members ignore it (and say
 * so on their terminals).
 *
 * The CLI makes the fleet token only for a fleet new on the server; for one that exists it needs
 * the fleet's file (a token made then is no session's, and would change nothing).
 * A member answers a request not signed with its token with a bare refusal, so a CLI holding another
 * token hears "refused: not your fleet token" rather than silence.
 *
 * Exit: 0 done (every member that answered applied it); 1 a member refused (another fleet token),
 * or did not report it applied within --wait, or the nats-server is out of reach; 2 a usage
 * refusal (no token file among them); 3 a flatten no member answered.
 */
import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import { redactUrl } from '../config/redact-url.ts';
import { fleetBucketExists, openFleetBucket, readHaltHistory } from '../fleet/fleet-bucket.ts';
import { connectFleet } from '../fleet/fleet-connect.ts';
import { DEFAULT_FLEET, type FleetAction, fleetSubject, HALT_KEY, isRefusedUnsigned, signControl } from '../fleet/fleet-message.ts';
import { formatFleetTable, type MemberFlatten, type MemberStatus } from '../fleet/fleet-status.ts';
import { defaultTokenPath, type FleetKey, loadFleetToken } from '../fleet/fleet-token.ts';
import type { HaltSeverity } from '../events/reasons.ts';
import type { CliIo } from './cli-io.ts';
import { parseFlags, type Refuse } from './common-flags.ts';
import { CliRefusal, EXIT } from './exit-codes.ts';
import { parseFleetFlags, parseNatsUrl } from './session-options.ts';
import { UsageError } from './usage-error.ts';
import { FLEET_USAGE } from './fleet-usage.ts';

type Env = Readonly<Record<string, string | undefined>>;

const DEFAULT_WAIT_S: Readonly<Record<'halt' | 'resume' | 'flatten' | 'status', number>> = { halt: 2, resume: 2, flatten: 1, status: 0.5 };
/** Halt and resume ask the members in rounds this long until each reports the change applied. */
const ROUND_MS = 300;

/** Flags given to a fleet command, as parsed. */
export interface FleetFlagValues {
  readonly nats?: string;
  readonly 'fleet-name'?: string;
  readonly 'fleet-token'?: string;
  readonly wait?: string;
}

interface FleetTarget {
  readonly url: string;
  readonly fleet: string;
  readonly tokenFile: string | null;
  readonly waitMs: number;
}

function target(command: 'halt' | 'resume' | 'flatten' | 'status', v: FleetFlagValues, refuse: Refuse): FleetTarget {
  const url = parseNatsUrl(v.nats, refuse);
  const example = command === 'status' ? 'tradeloop fleet status' : `tradeloop ${command} --fleet`;
  if (url === null) throw refuse(`${example} needs --nats URL: the fleet's nats-server, e.g. --nats nats://127.0.0.1:4222.`);
  const { fleetName, fleetToken } = parseFleetFlags(v, true, refuse);
  let waitMs = DEFAULT_WAIT_S[command] * 1000;
  if (v.wait !== undefined) {
    const s = Number(v.wait.trim());
    if (!/^\d+(\.\d+)?$/.test(v.wait.trim()) || s < 0.05 || s > 60) throw refuse(`--wait ${v.wait}: expected seconds from 0.05 to 60, e.g. --wait 2.`);
    waitMs = Math.round(s * 1000);
  }
  return { url, fleet: fleetName, tokenFile: fleetToken, waitMs };
}

interface FleetClient {
  readonly nc: NatsConnection;
  readonly key: FleetKey;
  readonly by: string;
  /** The token's file, named when members refuse what it signed. */
  readonly tokenPath: string;
  /** Members that refused a request: not signed with their fleet token. */
  refused: number;
  close(): Promise<void>;
}

async function open(t: FleetTarget, io: CliIo, env: Env): Promise<FleetClient> {
  // A bad token file is refused (exit 2) before any connection; a missing one only once the server says whether the fleet exists.
  const path = t.tokenFile ?? defaultTokenPath(env);
  const missing = path !== null && !existsSync(path);
  let token = missing ? null : loadFleetToken(t.tokenFile, env, false);
  const c = await connectFleet(t.url, { name: 'tradeloop cli', keep: false });
  if (!c.ok) throw new CliRefusal(c.message, EXIT.failed);
  if (token === null) {
    try {
      // A fleet that exists has its token already (its sessions made it): one made now would be no session's.
      const exists = await fleetBucketExists(c.nc, t.fleet);
      token = loadFleetToken(t.tokenFile, env, !exists);
    } catch (err) {
      await c.nc.close().catch(() => undefined);
      throw err;
    }
    io.stderr(
      `tradeloop: fleet ${t.fleet} is new on this server: made its fleet token in ${token.path} (mode 0600). Every machine of the fleet needs this same file: copy it there.\n`,
    );
  }
  let who: string;
  try {
    who = userInfo().username;
  } catch {
    who = env.USER ?? 'unknown';
  }
  return { nc: c.nc, key: token.key, by: `${who}@${hostname()}`, tokenPath: token.path, refused: 0, close: () => c.nc.close().catch(() => undefined) };
}

/** Said when members refused the requests: the operator's token is not theirs. Exit 1. */
function refusedByMembers(client: FleetClient, fleet: string, io: CliIo): number {
  io.stderr(
    `tradeloop: ${client.refused} session(s) of fleet ${fleet} REFUSED the request: it is not signed with their fleet token (this one is ${client.tokenPath}). Nothing they hold changed. Copy the fleet's token file here (mode 0600), or name it with --fleet-token FILE.\n`,
  );
  return EXIT.failed;
}

/** Asks every member on `action`'s subject; the answers that came within `waitMs` (none: none, not an error). */
async function ask(client: FleetClient, fleet: string, action: 'status' | 'flatten', waitMs: number): Promise<unknown[]> {
  const { text } = signControl(client.key, { fleet, action, by: client.by, at: Date.now() });
  const answers: unknown[] = [];
  try {
    const replies = await client.nc.requestMany(fleetSubject(fleet, action), text, { strategy: 'timer', maxWait: waitMs });
    let refused = 0;
    for await (const m of replies) {
      try {
        const answer: unknown = JSON.parse(m.string());
        if (isRefusedUnsigned(answer)) refused++;
        else answers.push(answer);
      } catch {
        // Not a member's answer (something else on the subject): nothing to show.
      }
    }
    // The most that refused any one request: the same members refuse every round.
    client.refused = Math.max(client.refused, refused);
  } catch (err) {
    // No member subscribed: the server says so at once.
    if (!/no responders/i.test((err as Error).message)) throw err;
  }
  return answers;
}

function isMember(v: unknown): v is MemberStatus {
  const m = v as MemberStatus;
  return typeof m === 'object' && m !== null && typeof m.name === 'string' && typeof m.runId === 'string' && typeof m.fleet === 'object' && m.fleet !== null;
}

function memberKey(m: { host?: string; pid?: number; runId: string }): string {
  return `${m.host ?? ''}:${m.pid ?? ''}:${m.runId}`;
}

async function collectStatus(client: FleetClient, fleet: string, waitMs: number): Promise<MemberStatus[]> {
  return (await ask(client, fleet, 'status', waitMs)).filter(isMember);
}

/** `tradeloop fleet status …` (argv after `fleet`). */
export async function fleetCommand(argv: readonly string[], io: CliIo, env: Env = process.env): Promise<number> {
  const refuse: Refuse = (m) => new UsageError(`${m}\n${FLEET_USAGE}`);
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout(FLEET_USAGE);
    return 0;
  }
  if (sub !== 'status')
    throw refuse(
      sub === undefined ? 'tradeloop fleet: name what to do: status.' : `tradeloop fleet ${sub.slice(0, 40)}: no such fleet command (there is: status).`,
    );
  const parsed = parseFlags(
    rest,
    {
      help: { type: 'boolean', short: 'h' },
      nats: { type: 'string' },
      'fleet-name': { type: 'string' },
      'fleet-token': { type: 'string' },
      wait: { type: 'string' },
      json: { type: 'boolean' },
    },
    refuse,
  );
  if (parsed.values.help) {
    io.stdout(FLEET_USAGE);
    return 0;
  }
  const t = target('status', parsed.values, refuse);
  const client = await open(t, io, env);
  try {
    const members = await collectStatus(client, t.fleet, t.waitMs);
    if (client.refused > 0 && members.length === 0) return refusedByMembers(client, t.fleet, io);
    if (parsed.values.json) {
      io.stdout(`${JSON.stringify(members, null, 2)}\n`);
      return 0;
    }
    if (members.length === 0) {
      io.stdout(
        `no session of fleet ${t.fleet} answered on ${redactUrl(t.url)} within ${t.waitMs / 1000} s. A session joins with tradeloop run --source realtime|nats ... --nats URL, into fleet ${DEFAULT_FLEET} unless given --fleet-name: check the name.\n`,
      );
      return 0;
    }
    io.stdout(`fleet ${t.fleet}: ${members.length} session(s) on ${redactUrl(t.url)}\n${formatFleetTable(members)}`);
    return client.refused > 0 ? refusedByMembers(client, t.fleet, io) : 0;
  } finally {
    await client.close();
  }
}

/** `tradeloop halt|resume|flatten --fleet …`, its flags parsed by control-commands.ts. */
export async function fleetControlCommand(
  command: 'halt' | 'resume' | 'flatten',
  v: FleetFlagValues & { readonly reason?: string; readonly reducing?: boolean },
  io: CliIo,
  refuse: Refuse,
  env: Env = process.env,
): Promise<number> {
  const t = target(command, v, refuse);
  const client = await open(t, io, env);
  try {
    if (command === 'flatten') return await flatten(client, t, io);
    return await setHalt(client, t, command === 'halt' ? (v.reducing ? 'reducing' : 'halted') : null, v.reason ?? null, io);
  } finally {
    await client.close();
  }
}

async function flatten(client: FleetClient, t: FleetTarget, io: CliIo): Promise<number> {
  const answers = (await ask(client, t.fleet, 'flatten', t.waitMs)).filter(
    (a): a is MemberFlatten => typeof (a as MemberFlatten)?.name === 'string' && typeof (a as MemberFlatten).message === 'string',
  );
  if (answers.length === 0 && client.refused > 0) return refusedByMembers(client, t.fleet, io);
  if (answers.length === 0) {
    io.stderr(
      `tradeloop: no session of fleet ${t.fleet} answered the flatten within ${t.waitMs / 1000} s: nothing was flattened. tradeloop fleet status --nats URL lists the live sessions (one with another fleet token ignores the request).\n`,
    );
    return EXIT.noSession;
  }
  const failed = answers.filter((a) => !a.ok);
  for (const a of [...answers].sort((x, y) => (x.name < y.name ? -1 : 1))) (a.ok ? io.stdout : io.stderr)(`${a.name}: ${a.message} (trading ${a.state})\n`);
  io.stdout(`fleet ${t.fleet}: ${answers.length} session(s) flattened${failed.length > 0 ? `, ${failed.length} NOT fully` : ''}\n`);
  if (client.refused > 0) return refusedByMembers(client, t.fleet, io);
  return failed.length === 0 ? EXIT.ok : EXIT.failed;
}

/** Writes the halt state (unless it holds already), then waits for the members to report it applied. */
async function setHalt(client: FleetClient, t: FleetTarget, severity: HaltSeverity | null, reason: string | null, io: CliIo): Promise<number> {
  // A fleet name no session has used here is most likely a typo: said if nobody answers either.
  const known = await fleetBucketExists(client.nc, t.fleet);
  const kv = await openFleetBucket(client.nc, t.fleet);
  const history = await readHaltHistory(kv, client.key, t.fleet);
  if (history.newestRefused !== null)
    io.stderr(
      `tradeloop: the newest entry of fleet ${t.fleet}'s halt key is not valid with your fleet token (${history.newestRefused}). Sessions ignore it; if yours is not the fleet's token, neither will they accept this command.\n`,
    );
  const current = history.state;
  const held = current === null ? null : current.control.action === 'halt' ? current.control.severity : null;
  let at: number | null = current?.control.at ?? null;
  const action: FleetAction = severity === null ? 'resume' : 'halt';
  if (held === severity) {
    io.stdout(
      current === null || severity === null
        ? `no change: fleet ${t.fleet} is not halted\n`
        : `no change: fleet ${t.fleet} is already ${held} since ${new Date(current.control.at).toISOString()} by ${current.control.by}${current.control.reason ? ` (${current.control.reason})` : ''}\n`,
    );
  } else {
    // Never older than the state it replaces: a member applies only a newer one (a clock behind the last writer's must not be ignored).
    at = Math.max(Date.now(), (current?.control.at ?? 0) + 1);
    const { text } = signControl(client.key, { fleet: t.fleet, action, severity, reason, by: client.by, at });
    const revision = await kv.put(HALT_KEY, text);
    io.stdout(
      `fleet ${t.fleet} ${severity === null ? 'resumed' : severity === 'reducing' ? 'REDUCING (reduce-only)' : 'HALTED'} by ${client.by} at ${new Date(at).toISOString()}${reason ? `: ${reason}` : ''} (revision ${revision})\n`,
    );
  }
  return confirm(client, t, at, severity, io, known);
}

/** Asks the members in rounds until each that answers reports the state signed at `at` applied, or --wait runs out. */
async function confirm(client: FleetClient, t: FleetTarget, at: number | null, severity: HaltSeverity | null, io: CliIo, known: boolean): Promise<number> {
  const deadline = Date.now() + t.waitMs;
  const members = new Map<string, MemberStatus>();
  const behind = (): MemberStatus[] => [...members.values()].filter((m) => at !== null && (m.fleet.at ?? 0) < at);
  for (;;) {
    const left = deadline - Date.now();
    for (const m of await collectStatus(client, t.fleet, Math.max(50, Math.min(ROUND_MS, left)))) members.set(memberKey(m), m);
    if (behind().length === 0 || Date.now() >= deadline) break;
  }
  if (members.size === 0 && client.refused > 0) return refusedByMembers(client, t.fleet, io);
  if (members.size === 0 && !known) {
    io.stderr(
      `tradeloop: fleet ${t.fleet} had no state on ${redactUrl(t.url)} before this command: no session of that name has run here, and none answered. Sessions join ${DEFAULT_FLEET} unless given --fleet-name: check the name. The state is kept: a session of fleet ${t.fleet} started later applies it.\n`,
    );
    return EXIT.failed;
  }
  if (members.size === 0) {
    io.stdout(
      `no session of fleet ${t.fleet} answered; ${severity === null ? 'a session started from now on starts unhalted by the fleet' : 'every session started while the fleet is halted starts HALTED'}.\n`,
    );
    return EXIT.ok;
  }
  const late = behind();
  io.stdout(formatFleetTable([...members.values()]));
  if (client.refused > 0) return refusedByMembers(client, t.fleet, io);
  if (late.length > 0) {
    io.stderr(
      `tradeloop: ${late.length} of ${members.size} session(s) did not report it applied within ${t.waitMs / 1000} s: ${late.map((m) => m.name).join(', ')}. The state is kept in the bucket: each applies it when it can (tradeloop fleet status shows it).\n`,
    );
    return EXIT.failed;
  }
  const byState = new Map<string, number>();
  for (const m of members.values()) byState.set(m.state, (byState.get(m.state) ?? 0) + 1);
  const states = [...byState].map(([s, n]) => `${n} ${s}`).join(', ');
  io.stdout(
    `${members.size} session(s) applied it: ${states}${severity === null && byState.size > 1 ? ' (those not ACTIVE hold halts of their own: see HALTS)' : ''}\n`,
  );
  return EXIT.ok;
}
