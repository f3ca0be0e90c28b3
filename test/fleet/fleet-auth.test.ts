/**
 * The fleet token at work: a control message without it, with another one, for another fleet, or
 * captured and sent again, changes nothing on a running session; each is counted and alerted, and
 * the summary says how many. The token itself appears nowhere the session writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { formatSummary } from '../../src/cli/run-summary.ts';
import { fleetSubject, HALT_KEY, signControl } from '../../src/fleet/fleet-message.ts';
import { loadFleetToken } from '../../src/fleet/fleet-token.ts';
import { FakeBinance } from '../helpers/fake-binance.ts';
import { cli, decideAll, fleetOf, session } from '../helpers/fleet-member.ts';
import { natsSkip } from '../helpers/nats.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

test('a control message without the fleet token, with another, for another fleet, or sent again changes nothing; each is counted and alerted', {
  skip: natsSkip(),
}, async (t) => {
  const fleet = fleetOf(t);
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await session(t, fake, fleet);
  const nc = await connect({ servers: fleet.url });
  const refused = (n: number) => run.waitFor(`${n} refused`, () => run.handle.status().fleet?.refused === n);
  const position = (): string => run.handle.status().positions.find((p) => p.symbol === 'BTCUSDT')?.qty ?? '0';
  let cliSaid = '';
  try {
    await fake.waitForConnections(1);
    await decideAll(fake, [run], 0, 100);
    assert.equal(position(), '0.001');

    // The CLI without the fleet's token file (another machine, a mistyped path): refused before anything is sent; no token is made.
    const other = join(tempDirSync(t, 'tl-other-token-'), 'fleet-token');
    const none = await cli('halt', '--fleet', '--nats', fleet.url, '--fleet-name', fleet.name, '--fleet-token', other);
    assert.equal(none.code, 2, none.err);
    assert.match(none.err, /--fleet-token .*fleet-token: no such file\. Fleet commands sign with the fleet's token/);
    assert.equal(existsSync(other), false, 'no token made');
    // With a token of its own: the halt it writes and the status it asks are both refused, and the members say so: exit 1, not "no session answered".
    loadFleetToken(other, {});
    const wrong = await cli('halt', '--fleet', '--nats', fleet.url, '--fleet-name', fleet.name, '--fleet-token', other);
    cliSaid += wrong.out + wrong.err;
    assert.equal(wrong.code, 1, wrong.err);
    assert.match(wrong.err, /1 session\(s\) of fleet \S+ REFUSED the request: it is not signed with their fleet token \(this one is .*fleet-token\)/);
    await refused(2);
    const status = await cli('fleet', 'status', '--nats', fleet.url, '--fleet-name', fleet.name, '--fleet-token', other);
    assert.equal(status.code, 1, status.err);
    assert.match(status.err, /REFUSED the request/);
    await refused(3);
    assert.equal(run.handle.status().state, 'ACTIVE');
    await run.waitFor('a fleet_auth alert', () => run.of('alert').some((a) => a.kind === 'fleet_auth'));
    assert.match(run.stderr.join(''), /ALERT +fleet_auth: 1 fleet control message\(s\) refused, never applied; the latest: .*(wrong MAC|another fleet token)/);

    // A client on the same server with no token at all: a value without a MAC, a delete, a bare flatten request.
    const kv = await new Kvm(nc).open(fleet.name);
    await kv.put(
      HALT_KEY,
      JSON.stringify({ fleet: fleet.name, action: 'halt', severity: 'halted', reason: 'x', by: 'mallory@x', at: Date.now(), nonce: '00' }),
    );
    await kv.delete(HALT_KEY);
    const bare = await nc.requestMany(fleetSubject(fleet.name, 'flatten'), '{}', { strategy: 'timer', maxWait: 300 });
    const answers: unknown[] = [];
    for await (const m of bare) answers.push(m.json());
    assert.deepEqual(answers, [{ refused: 'fleet_token' }], 'a request without the token is answered with a bare refusal, nothing about the session');
    await refused(6);
    assert.equal(run.handle.status().state, 'ACTIVE');
    assert.equal(position(), '0.001', 'nothing flattened');

    // With the fleet's token: a halt and a resume apply; the halt captured and written again is a replay.
    const { key } = loadFleetToken(fleet.token, {});
    const halt = signControl(key, { fleet: fleet.name, action: 'halt', severity: 'halted', reason: 'drill', by: 'ops@desk', at: Date.now() });
    await kv.put(HALT_KEY, halt.text);
    await run.waitFor('HALTED', () => run.handle.status().state === 'HALTED');
    await kv.put(HALT_KEY, signControl(key, { fleet: fleet.name, action: 'resume', by: 'ops@desk', at: Date.now() + 1 }).text);
    await run.waitFor('ACTIVE', () => run.handle.status().state === 'ACTIVE');
    await kv.put(HALT_KEY, halt.text);
    await refused(7);
    assert.equal(run.handle.status().state, 'ACTIVE', 'the replayed halt is older than the resume in force');

    // A flatten applies once: the same message again, or one signed two minutes ago, flattens nothing.
    const flatten = signControl(key, { fleet: fleet.name, action: 'flatten', by: 'ops@desk', at: Date.now() });
    const answer = await nc.request(fleetSubject(fleet.name, 'flatten'), flatten.text, { timeout: 5000 });
    assert.equal((answer.json() as { ok: boolean }).ok, true);
    assert.equal(position(), '0');
    await decideAll(fake, [run], 1, 101);
    assert.equal(position(), '0.001', 'bought again');
    for (const text of [flatten.text, signControl(key, { fleet: fleet.name, action: 'flatten', by: 'ops@desk', at: Date.now() - 120_000 }).text]) {
      const replies = await nc.requestMany(fleetSubject(fleet.name, 'flatten'), text, { strategy: 'timer', maxWait: 300 });
      for await (const _ of replies) assert.fail('a replayed or stale flatten is not answered');
    }
    await refused(9);
    assert.equal(position(), '0.001', 'not flattened again');
    // Signed with the token, but for another fleet: refused here.
    await kv.put(HALT_KEY, signControl(key, { fleet: `${fleet.name}_other`, action: 'halt', severity: 'halted', by: 'ops@desk', at: Date.now() + 2 }).text);
    await refused(10);
    assert.equal(run.handle.status().state, 'ACTIVE');
    assert.equal(run.of('order').filter((o) => o.sentBy === 'operator').length, 1);
  } finally {
    await nc.close();
    await run.handle.stop();
    await fake.close();
  }
  const summary = JSON.parse(readFileSync(join(run.handle.outDir, 'summary.json'), 'utf8'));
  assert.deepEqual(summary.fleet, { name: fleet.name, state: 'resumed', applied: 3, refused: 10, disconnects: 0 });
  // Alerted at most once a minute; the rest folded into the next alert, the last at the end: none is lost.
  const counted = run
    .of('alert')
    .filter((a) => a.kind === 'fleet_auth')
    .map((a) => Number(/^(\d+) fleet control/.exec(String(a.message))?.[1]));
  assert.deepEqual(counted, [1, 9]);
  assert.match(
    formatSummary(summary, 'run', run.handle.outDir),
    /fleet +tl_fleet\S+: resumed at the end; 3 fleet command\(s\) applied; 10 control message\(s\) REFUSED/,
  );
  const secret = readFileSync(fleet.token, 'utf8').trim();
  const written = [readFileSync(join(run.handle.outDir, 'events.ndjson'), 'utf8'), JSON.stringify(summary), run.stderr.join(''), cliSaid].join('\n');
  assert.equal(written.includes(secret), false, 'the fleet token is never written or printed');
});
