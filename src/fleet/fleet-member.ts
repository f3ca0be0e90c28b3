/**
 * A session's membership of its fleet (`--nats URL`): it reads the fleet's halt state from the
 * key-value bucket before its first cycle and watches it; it answers `status` and `flatten`
 * requests. Every change reaches the loop through the session's inbox, as an operator's command
 * does: applied between two cycles (at once when the loop is idle between bars), journaled as a
 * command unit, and said on the terminal by the halt and resume lines.
 *
 * The fleet halt is a halt of its own (reason and source `fleet`) beside the session's: a fleet
 * resume lifts only it, and an operator's resume of one session leaves it in force.
 *
 * Every message is checked against the fleet token (fleet-message.ts). One that fails (no MAC, a
 * wrong one, another fleet's) or that comes again (a halt state not newer than the one in force, a
 * request outside the freshness window or with a nonce already seen) is never applied: it is
 * counted, alerted (`fleet_auth`, at most one alert a minute with the count since the last), and
 * the summary says how many. A flatten is an action: applied once when it arrives, never replayed
 * from history, so a session started later does not flatten for an old command.
 */
import { hostname } from 'node:os';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { Msg, NatsConnection, QueuedIterator, Subscription } from '@nats-io/transport-node';
import type { HaltSeverity } from '../events/reasons.ts';
import type { Session } from '../session/session.ts';
import type { Terminal } from '../session/terminal.ts';
import type { Clock } from '../telemetry/clock.ts';
import { type HaltState, judgeHaltEntry, openFleetBucket, readHaltHistory } from './fleet-bucket.ts';
import { connectFleet } from './fleet-connect.ts';
import { checkControl, describeControl, type FleetAction, fleetSubject, HALT_KEY, REFUSED_UNSIGNED } from './fleet-message.ts';
import type { FleetView, MemberFlatten, MemberStatus } from './fleet-status.ts';
import type { FleetKey } from './fleet-token.ts';

/** A request signed longer ago than this (or this far in the future, by the session's clock) is refused: machines' clocks agree within it. */
export const FRESH_MS = 60_000;
const AUTH_ALERT_EVERY_MS = 60_000;

export interface FleetJoin {
  readonly url: string;
  readonly fleet: string;
  readonly key: FleetKey;
  readonly clock: Clock;
  /** The session's name in the fleet (--session, else its run id), for nats-server's monitoring. */
  readonly name: string;
}

export interface MemberIdentity {
  readonly name: string;
  readonly runId: string;
  readonly strategy: string;
  readonly symbols: readonly string[];
  readonly terminal: Terminal;
  /** Bars behind the stream the session reads, when its feed knows (the nats source); null otherwise. */
  readonly lagBars?: () => number | null;
}

/** What the summary keeps of the fleet. */
export interface FleetSummary {
  readonly name: string;
  readonly state: FleetView['state'];
  readonly applied: number;
  readonly refused: number;
  readonly disconnects: number;
}

export class FleetMember {
  private readonly join: FleetJoin;
  private readonly nc: NatsConnection;
  private readonly kv: KV;
  /** The newest valid halt state read (applied once attached). */
  private state: HaltState | null;
  /** The one applied through the session's inbox (what status and the CLI's wait report). */
  private applied: HaltState | null = null;
  /** The severity last submitted: each change is submitted once, in order, whatever the inbox holds. */
  private submitted: HaltSeverity | null = null;
  private lastRevision: number;
  private newestRefused: string | null;
  private session: Session | null = null;
  private identity: MemberIdentity | null = null;
  private watcher: QueuedIterator<KvWatchEntry> | null = null;
  private readonly subs: Subscription[] = [];
  private readonly nonces = new Map<string, number>();
  private connected = true;
  private closed = false;
  private counts = { applied: 0, refused: 0, disconnects: 0 };
  private unreported = 0;
  private lastWhy = '';
  private lastAlert = -Infinity;
  private readonly done: Promise<unknown>[] = [];

  private constructor(join: FleetJoin, nc: NatsConnection, kv: KV, history: Awaited<ReturnType<typeof readHaltHistory>>) {
    this.join = join;
    this.nc = nc;
    this.kv = kv;
    this.state = history.state;
    this.lastRevision = history.lastRevision;
    this.newestRefused = history.newestRefused;
  }

  /**
   * Connects, opens the fleet's bucket and reads its halt state; the watch starts here, so a change
   * made before attach() is not missed. Refused (a string to say) when the server cannot be reached.
   */
  static async join(join: FleetJoin): Promise<FleetMember | string> {
    const c = await connectFleet(join.url, { name: `tradeloop session ${join.name}`, keep: true });
    if (!c.ok) return c.message;
    try {
      const kv = await openFleetBucket(c.nc, join.fleet);
      const member = new FleetMember(join, c.nc, kv, await readHaltHistory(kv, join.key, join.fleet));
      await member.watch();
      member.watchConnection();
      return member;
    } catch (err) {
      await c.nc.close().catch(() => undefined);
      return `--nats: cannot read the fleet's key-value bucket ${join.fleet} (${(err as Error).message}): is JetStream enabled on that nats-server (nats-server -js)?`;
    }
  }

  /** Applies the fleet's state to the session (before its first cycle) and starts answering requests. */
  async attach(session: Session, identity: MemberIdentity): Promise<void> {
    this.session = session;
    this.identity = identity;
    this.submitted = session.parts.trading.get('fleet')?.severity ?? null;
    if (this.newestRefused !== null) this.refuse(`the newest entry of the halt key: ${this.newestRefused}`);
    // Refused before the session could say so (while it was built): said now.
    if (this.unreported > 0) {
      this.lastAlert = this.join.clock.monotonic();
      this.report();
    }
    await this.applyState();
    this.subs.push(
      this.nc.subscribe(fleetSubject(this.join.fleet, 'status'), { callback: (_err, msg) => this.onRequest('status', msg) }),
      this.nc.subscribe(fleetSubject(this.join.fleet, 'flatten'), { callback: (_err, msg) => this.onRequest('flatten', msg) }),
    );
    // The subscriptions are known to the server before open() returns: a request right after start reaches this session.
    await this.nc.flush().catch(() => undefined); // a link lost this moment: the link alert says it
  }

  view(): FleetView {
    const c = this.applied?.control ?? null;
    return {
      name: this.join.fleet,
      connected: this.connected,
      state: c === null ? null : c.action === 'halt' ? c.severity : 'resumed',
      by: c?.by ?? null,
      reason: c?.reason ?? null,
      at: c?.at ?? null,
      revision: this.applied?.revision ?? 0,
      applied: this.counts.applied,
      refused: this.counts.refused,
    };
  }

  summary(): FleetSummary {
    return { name: this.join.fleet, state: this.view().state, ...this.counts };
  }

  /** Stops watching and answering; the refusals not alerted yet are alerted now, not lost. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.unreported > 0) this.report();
    this.watcher?.stop();
    for (const s of this.subs) s.unsubscribe();
    await this.nc.close().catch(() => undefined);
    await Promise.allSettled(this.done);
  }

  private async watch(): Promise<void> {
    const w = await this.kv.watch({ key: HALT_KEY, ...(this.lastRevision > 0 ? { resumeFromRevision: this.lastRevision + 1 } : {}) });
    this.watcher = w;
    this.done.push(
      (async () => {
        for await (const entry of w) this.onEntry(entry);
      })(),
    );
  }

  /**
   * Reconnected after an outage: the key is read again at once, and the watch made anew from the
   * newest revision seen (the old one's consumer may have gone with the server, and it would find
   * out only after 2 missed heartbeats of 30 s).
   */
  private watchConnection(): void {
    this.done.push(
      (async () => {
        for await (const s of this.nc.status()) {
          if (this.closed) return;
          if (s.type === 'disconnect') {
            if (!this.connected) continue;
            this.connected = false;
            this.counts.disconnects++;
            this.alert(
              'fleet_link',
              `lost the fleet's nats-server (fleet ${this.join.fleet}): a fleet halt cannot reach this session until it is back; trading goes on under the halts held (${this.session?.parts.trading.state ?? 'not started'})`,
            );
          } else if (s.type === 'reconnect') {
            this.connected = true;
            this.alert('fleet_link', `the fleet's nats-server is back (fleet ${this.join.fleet}): its halt state is read again`);
            this.watcher?.stop();
            await this.resync().catch(() => undefined);
            if (!this.closed) await this.watch().catch(() => undefined);
          }
        }
      })(),
    );
  }

  private async resync(): Promise<void> {
    for await (const entry of await this.kv.history({ key: HALT_KEY })) {
      if (entry.revision <= this.lastRevision) continue;
      this.lastRevision = entry.revision;
      const v = judgeHaltEntry(this.join.key, this.join.fleet, entry, this.state);
      if (v.kind === 'newer') this.state = v.state;
      else this.refuse(v.why);
    }
    await this.applyState();
  }

  private onEntry(entry: KvWatchEntry): void {
    // Seen already (read again after a reconnect, then delivered by the watch): judged once.
    if (entry.revision <= this.lastRevision) return;
    this.lastRevision = entry.revision;
    const v = judgeHaltEntry(this.join.key, this.join.fleet, entry, this.state);
    if (v.kind !== 'newer') {
      this.refuse(v.why);
      return;
    }
    this.state = v.state;
    if (this.session !== null) void this.applyState();
  }

  /** Submits the state in force if it changes what the session holds; notes it applied either way. */
  private async applyState(): Promise<void> {
    const session = this.session;
    const s = this.state;
    if (session === null || s === null) return;
    const severity = s.control.action === 'halt' ? s.control.severity : null;
    if (severity !== this.submitted) {
      this.submitted = severity;
      this.counts.applied++;
      await session.submit({ kind: 'fleet', severity, detail: describeControl(s.control) });
    }
    if (this.applied === null || s.control.at > this.applied.control.at) this.applied = s;
  }

  private onRequest(expected: 'status' | 'flatten', msg: Msg): void {
    const session = this.session;
    if (session === null || this.closed) return;
    const checked = checkControl(this.join.key, msg.string(), this.join.fleet);
    if (!checked.ok) {
      if (checked.unsigned) msg.respond(JSON.stringify(REFUSED_UNSIGNED));
      return this.refuse(`a ${expected} request: ${checked.why}`);
    }
    const c = checked.control;
    const why = this.staleness(c.action, expected, c.at, c.nonce);
    if (why !== null) return this.refuse(`a ${expected} request by ${c.by}: ${why}`);
    if (expected === 'status') {
      msg.respond(JSON.stringify(this.status()));
      return;
    }
    this.counts.applied++;
    void session.submit({ kind: 'flatten', symbols: null }).then((r) => {
      this.identity?.terminal.stderr(`tradeloop ${this.stamp()} FLEET   ${describeControl(c)}: ${r.message}\n`);
      const answer: MemberFlatten = { name: this.identity!.name, runId: this.identity!.runId, ok: r.ok, message: r.message, state: r.state };
      if (!this.closed) msg.respond(JSON.stringify(answer));
    });
  }

  /** Why a request must not be acted on though its MAC holds, or null. */
  private staleness(action: FleetAction, expected: FleetAction, at: number, nonce: string): string | null {
    if (action !== expected) return `a ${action} message sent on the ${expected} subject`;
    const now = this.join.clock.now();
    if (Math.abs(now - at) > FRESH_MS)
      return `signed at ${new Date(at).toISOString()}, more than ${FRESH_MS / 1000} s from this session's clock (${new Date(now).toISOString()}): a replay, or a clock far off`;
    for (const [n, t] of this.nonces) {
      if (now - t <= FRESH_MS) break; // in arrival order: the rest are younger
      this.nonces.delete(n);
    }
    if (this.nonces.has(nonce)) return 'a message seen before (its nonce): a replay';
    this.nonces.set(nonce, now);
    return null;
  }

  private status(): MemberStatus {
    const s = this.session!.status();
    const id = this.identity!;
    let lastBar: string | null = null;
    let age: number | null = null;
    for (const b of Object.values(s.lastBar)) {
      if (b === null) continue;
      if (lastBar === null || b.openTime > lastBar) lastBar = b.openTime;
      if (b.receivedSecondsAgo !== undefined) age = age === null ? b.receivedSecondsAgo : Math.min(age, b.receivedSecondsAgo);
    }
    return {
      name: id.name,
      runId: id.runId,
      strategy: id.strategy,
      symbols: id.symbols,
      host: hostname(),
      pid: process.pid,
      state: s.state,
      halts: s.halts.map((h) => h.reason),
      lastBar,
      lastBarAgeSeconds: age,
      lagBars: id.lagBars?.() ?? null,
      equity: s.equity,
      fleet: this.view(),
    };
  }

  private stamp(): string {
    return new Date(this.join.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private refuse(why: string): void {
    this.counts.refused++;
    this.unreported++;
    this.lastWhy = why;
    const now = this.join.clock.monotonic();
    if (this.session === null || now - this.lastAlert < AUTH_ALERT_EVERY_MS) return;
    this.lastAlert = now;
    this.report();
  }

  private report(): void {
    const n = this.unreported;
    this.unreported = 0;
    this.alert(
      'fleet_auth',
      `${n} fleet control message(s) refused, never applied; the latest: ${this.lastWhy}. Every machine of the fleet needs the same fleet token file; a client without it cannot halt, resume or flatten.`,
    );
  }

  private alert(kind: 'fleet_auth' | 'fleet_link', message: string): void {
    const session = this.session;
    if (session === null) return;
    session.outOfCycle(() => session.parts.bus.emit({ type: 'alert', kind, message, at: this.join.clock.now() }));
  }
}
