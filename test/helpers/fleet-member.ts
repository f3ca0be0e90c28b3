/**
 * Sessions of a fleet for the fleet tests: a fleet of the test's own (a unique name on the shared
 * nats-server, a token file in a temporary folder), realtime sessions started from code on a fake
 * Binance with --nats, and the CLI run in-process.
 */
import { join, resolve } from 'node:path';
import type { TestContext } from 'node:test';
import { type SessionHandle, startSession } from '../../src/api/start-session.ts';
import { main } from '../../src/cli/main.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';
import { bar, type FakeBinance, until } from './fake-binance.ts';
import { natsUrl } from './nats.ts';
import { uniqueName } from './postgres.ts';
import { tempDirSync } from './temp-dir.ts';

/** Buys one lot on each of its first bars: each decision tests the gate. A module, so that `tradeloop verify` can load it from the journal. */
const PLAN = resolve(import.meta.dirname, '..', 'fixtures', 'strategies', 'bar-plan.ts');
const PARAMS = { plan: '0:buy:1;1:buy:1;2:buy:1;3:buy:1' };

export interface Fleet {
  readonly url: string;
  readonly name: string;
  readonly token: string;
  /** The fleet flags of the CLI. */
  readonly flags: string[];
}

/** A fleet of the test's own; its token file does not exist yet (the first user makes it). */
export function fleetOf(t: TestContext): Fleet {
  const url = natsUrl();
  const name = uniqueName('tl_fleet');
  const token = join(tempDirSync(t, 'tl-fleet-token-'), 'fleet-token');
  return { url, name, token, flags: ['--nats', url, '--fleet-name', name, '--fleet-token', token] };
}

export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }, { FLAG_REALTIME: '1' });
  return { code, out, err };
}

/** A running session of the fleet: what it emitted and said, and its handle. */
export interface Member {
  readonly handle: SessionHandle;
  readonly events: Array<Record<string, unknown>>;
  readonly stderr: string[];
  of(type: string): Array<Record<string, unknown>>;
  waitFor(what: string, cond: () => boolean): Promise<void>;
}

export async function session(t: TestContext, fake: FakeBinance, fleet: Fleet, o: { readonly out?: string } = {}): Promise<Member> {
  const events: Array<Record<string, unknown>> = [];
  const stderr: string[] = [];
  // From code, as the CLI would run it: the journal names the strategy's file, so verify can decide it again.
  const handle = await startSession({
    realtime: true,
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    symbols: ['BTCUSDT'],
    lot: { BTCUSDT: '0.001' },
    staleAfter: 60,
    staleAlertAfter: 120,
    fillModel: 'close',
    strategy: PLAN,
    params: PARAMS,
    nats: fleet.url,
    fleetName: fleet.name,
    fleetToken: fleet.token,
    out: o.out ?? join(tempDirSync(t, 'tl-fleet-run-'), 'run'),
    clock: new VirtualClock(Date.now()),
    onEvent: (e) => events.push(e as unknown as Record<string, unknown>),
    stderr: (text) => stderr.push(text),
  });
  const of = (type: string) => events.filter((e) => e.type === type);
  return { handle, events, stderr, of, waitFor: (what, cond) => until(cond, what) };
}

/** Sends one closed bar to every session and waits until each has decided it. */
export async function decideAll(fake: FakeBinance, members: readonly Member[], minute: number, close: number): Promise<void> {
  const before = members.map((r) => r.of('decision').length);
  fake.sendKline(bar('BTCUSDT', minute, close), true);
  await Promise.all(members.map((r, i) => r.waitFor(`decision ${minute}`, () => r.of('decision').length === before[i]! + 1)));
}
