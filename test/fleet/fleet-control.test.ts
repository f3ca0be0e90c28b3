/**
 * The fleet's kill switch on real sessions and a real nats-server: several realtime sessions (fake
 * Binance feed) join one fleet with --nats; `tradeloop halt|resume|flatten --fleet` reaches each
 * through the key-value bucket or a request, each journals it and says it on its terminal; a
 * session started while the fleet is halted starts HALTED; `fleet status` lists the live ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { fleetCommand } from '../../src/cli/fleet-command.ts';
import { HALT_KEY } from '../../src/fleet/fleet-message.ts';
import type { MemberStatus } from '../../src/fleet/fleet-status.ts';
import { bar, FakeBinance } from '../helpers/fake-binance.ts';
import { cli, decideAll, fleetOf, type Member, session } from '../helpers/fleet-member.ts';
import { natsSkip } from '../helpers/nats.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

test('a fleet halt reaches every running session (journaled, on its terminal, orders refused); flatten closes each once; resume lifts it; fleet status lists them', {
  skip: natsSkip(),
}, async (t) => {
  const fleet = fleetOf(t);
  const fake = await FakeBinance.start(['BTCUSDT']);
  const runs: Member[] = [];
  try {
    for (let i = 0; i < 3; i++) runs.push(await session(t, fake, fleet));
    await fake.waitForConnections(3);
    assert.match(runs[0]!.stderr.join(''), /made a new fleet token in .*fleet-token \(mode 0600\)/, 'the first session made the token, and said so');
    await decideAll(fake, runs, 0, 100);
    for (const r of runs) assert.equal(r.of('fill').length, 1);

    const halt = await cli('halt', '--fleet', ...fleet.flags, '--reason', 'drill');
    assert.equal(halt.code, 0, halt.err);
    assert.match(halt.out, new RegExp(`fleet ${fleet.name} HALTED by .*: drill \\(revision \\d+\\)`));
    assert.match(halt.out, /3 session\(s\) applied it: 3 HALTED/);
    for (const r of runs) {
      assert.equal(r.handle.status().state, 'HALTED');
      const h = r.of('halt');
      assert.deepEqual(
        h.map((e) => [e.reason, e.source, e.severity, e.state]),
        [['fleet', 'fleet', 'halted', 'HALTED']],
      );
      assert.match(String(h[0]!.detail), /^fleet halt by \S+@\S+ at \d{4}-\d\d-\d\dT[\d:.]+Z: drill$/);
      assert.match(r.stderr.join(''), /HALT +fleet \(fleet, halted\): fleet halt by .*: drill -> trading HALTED/);
    }
    // Halting what is halted writes nothing and says so.
    const again = await cli('halt', '--fleet', ...fleet.flags);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /no change: fleet .* is already halted since .* \(drill\)/);
    for (const r of runs) assert.equal(r.of('halt').length, 1);

    await decideAll(fake, runs, 1, 101);
    for (const r of runs) assert.equal(r.of('reject').at(-1)!.reason, 'trading_halted');

    // The session's own resume does not lift the fleet's halt; naming it is refused, saying how it is lifted.
    const own = await runs[0]!.handle.resume();
    assert.match(own.message, /no change: no operator halt/);
    const named = await runs[0]!.handle.resume({ halt: 'fleet' });
    assert.equal(named.ok, false);
    assert.match(named.message, /fleet cannot be lifted by an operator: tradeloop resume --fleet/);
    assert.equal(runs[0]!.handle.status().state, 'HALTED');

    const status = await cli('fleet', 'status', ...fleet.flags, '--wait', '1');
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, new RegExp(`fleet ${fleet.name}: 3 session\\(s\\)`));
    for (const r of runs) assert.match(status.out, new RegExp(`${r.handle.runId} +bar-plan +HALTED +fleet +2026-01-05T00:01Z`));
    let json = '';
    assert.equal(await fleetCommand(['status', ...fleet.flags, '--json', '--wait', '1'], { stdout: (s) => (json += s), stderr: () => {} }), 0);
    const members = JSON.parse(json) as MemberStatus[];
    assert.deepEqual(members.map((m) => m.runId).sort(), runs.map((r) => r.handle.runId).sort());
    for (const m of members) {
      assert.deepEqual(
        [m.strategy, m.state, m.halts, m.lastBar, m.equity, m.fleet.state, m.fleet.name],
        ['bar-plan', 'HALTED', ['fleet'], '2026-01-05T00:01:00.000Z', m.equity, 'halted', fleet.name],
      );
      assert.equal(m.lagBars, null, 'a Binance feed does not know a stream lag');
    }

    const flat = await cli('flatten', '--fleet', ...fleet.flags);
    assert.equal(flat.code, 0, flat.err);
    assert.match(flat.out, /3 session\(s\) flattened/);
    for (const r of runs) {
      const operator = r.of('order').filter((o) => o.sentBy === 'operator');
      assert.equal(operator.length, 1, 'one flatten, one closing order');
      assert.equal(r.of('fill').at(-1)!.position, 0);
      assert.match(r.stderr.join(''), /FLEET +fleet flatten by .*: flattened BTCUSDT/);
    }

    const resume = await cli('resume', '--fleet', ...fleet.flags);
    assert.equal(resume.code, 0, resume.err);
    assert.match(resume.out, /3 session\(s\) applied it: 3 ACTIVE/);
    await decideAll(fake, runs, 2, 102);
    for (const r of runs) {
      assert.equal(r.handle.status().state, 'ACTIVE');
      assert.equal(r.of('fill').at(-1)!.openTime, bar('BTCUSDT', 2, 102).openTime, 'trading again');
      // The flatten was an action: nothing more was flattened since.
      assert.equal(r.of('order').filter((o) => o.sentBy === 'operator').length, 1);
    }
    // The fleet's halt state is in the session's /metrics.
    const metrics = await (await fetch(`${runs[1]!.handle.control!.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`tradeloop_fleet_halt\\{fleet="${fleet.name}",state="resumed"\\} 1`));
    assert.match(metrics, new RegExp(`tradeloop_fleet_commands_total\\{fleet="${fleet.name}"\\} 3`));
    assert.match(metrics, new RegExp(`tradeloop_fleet_connected\\{fleet="${fleet.name}"\\} 1`));
  } finally {
    for (const r of runs) await r.handle.stop();
    await fake.close();
  }
  for (const r of runs) {
    const summary = JSON.parse(readFileSync(join(r.handle.outDir, 'summary.json'), 'utf8')) as { fleet: unknown };
    assert.deepEqual(summary.fleet, { name: fleet.name, state: 'resumed', applied: 3, refused: 0, disconnects: 0 });
    // The journal holds the fleet's commands: deciding it again gives the same events.
    const verify = await cli('verify', r.handle.outDir);
    assert.equal(verify.code, 0, verify.out + verify.err);
  }
});

test('a session started while the fleet is halted (or reducing) starts so, before its first bar', { skip: natsSkip() }, async (t) => {
  const fleet = fleetOf(t);
  const halt = await cli('halt', '--fleet', ...fleet.flags, '--reducing', '--reason', 'overnight');
  // A fleet no session has joined yet: the token is made, the state kept, and exit 1 all the same, for the name may be a typo.
  assert.equal(halt.code, 1, halt.err);
  assert.match(halt.out, /REDUCING \(reduce-only\)/);
  assert.match(halt.err, /fleet \S+ is new on this server: made its fleet token/);
  assert.match(
    halt.err,
    /had no state on .* before this command: no session of that name has run here, and none answered\. .*check the name\. The state is kept: a session of fleet \S+ started later applies it\./,
  );
  // Then a client without the token writes a "resume" over it: the newest entry, but not a valid one.
  const nc = await connect({ servers: fleet.url });
  await (await new Kvm(nc).open(fleet.name)).put(
    HALT_KEY,
    JSON.stringify({ fleet: fleet.name, action: 'resume', by: 'mallory@x', at: Date.now() + 1000, nonce: '1' }),
  );
  await nc.close();
  const fake = await FakeBinance.start(['BTCUSDT']);
  let run: Member | null = null;
  try {
    run = await session(t, fake, fleet);
    assert.equal(run.handle.status().state, 'REDUCING', 'halted before its first bar, by the newest valid entry');
    assert.deepEqual(
      run.of('halt').map((e) => [e.reason, e.severity]),
      [['fleet', 'reducing']],
    );
    assert.match(String(run.of('alert').find((a) => a.kind === 'fleet_auth')?.message), /the latest: the newest entry of the halt key: revision \d+: no MAC/);
    assert.equal(run.handle.status().fleet?.refused, 1);
    // The session's own status says the fleet's state too.
    const status = await cli('status', '--state', run.handle.outDir);
    assert.match(status.out, new RegExp(`fleet +${fleet.name}: reducing by \\S+ at \\S+ \\(overnight\\); 1 applied, 1 refused`));
    await fake.waitForConnections(1);
    await decideAll(fake, [run], 0, 100);
    assert.equal(run.of('reject').at(-1)!.reason, 'reduce_only');
    // Halted outright now: the running session follows.
    const full = await cli('halt', '--fleet', ...fleet.flags);
    assert.equal(full.code, 0, full.err);
    assert.match(full.err, /the newest entry of fleet .*'s halt key is not valid with your fleet token \(revision \d+: no MAC/);
    assert.equal(run.handle.status().state, 'HALTED');
    assert.equal(run.handle.status().fleet?.state, 'halted');
  } finally {
    await run?.handle.stop();
    await fake.close();
  }
});

test('a session resumed from its journal takes the fleet state as it is now: a fleet halt lifted while it was down is lifted before its first bar', {
  skip: natsSkip(),
}, async (t) => {
  const fleet = fleetOf(t);
  // Exit 1: no session of this new fleet answered (the state is kept all the same).
  assert.equal((await cli('halt', '--fleet', ...fleet.flags, '--reason', 'night')).code, 1);
  const fake = await FakeBinance.start(['BTCUSDT']);
  const out = join(tempDirSync(t, 'tl-fleet-resume-'), 'run');
  try {
    const first = await session(t, fake, fleet, { out });
    assert.equal(first.handle.status().state, 'HALTED');
    await first.handle.stop();
    assert.equal((await cli('resume', '--fleet', ...fleet.flags)).code, 0);
    const again = await session(t, fake, fleet, { out });
    assert.equal(again.handle.runId, first.handle.runId, 'the same session, resumed from its journal');
    assert.equal(again.handle.status().state, 'ACTIVE', 'lifted before its first bar');
    const lifted = again.of('resume').filter((e) => e.reason === 'fleet');
    assert.deepEqual(
      lifted.map((e) => [e.source, e.state]),
      [['fleet', 'ACTIVE']],
    );
    await again.handle.stop();
    assert.equal((await cli('verify', out)).code, 0);
  } finally {
    await fake.close();
  }
});
