/**
 * A session's link to the fleet's nats-server: lost (the server killed), it says so and goes on
 * trading under the halts it holds; back, it says so, reads the halt state again, and a fleet halt
 * reaches it as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeBinance } from '../helpers/fake-binance.ts';
import { cli, fleetOf, session } from '../helpers/fleet-member.ts';
import { natsSkip, startNatsServer } from '../helpers/nats.ts';

test('the nats-server killed and restarted: the session alerts the lost link and its return, and obeys a fleet halt after', { skip: natsSkip() }, async (t) => {
  const server = await startNatsServer(t);
  const shared = fleetOf(t);
  const fleet = { ...shared, url: server.url, flags: ['--nats', server.url, ...shared.flags.slice(2)] };
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await session(t, fake, fleet);
  const links = () => run.of('alert').filter((a) => a.kind === 'fleet_link');
  try {
    await server.kill();
    await run.waitFor('the lost link alerted', () => links().length === 1);
    assert.match(String(links()[0]!.message), /lost the fleet's nats-server .*trading goes on under the halts held \(ACTIVE\)/);
    assert.equal(run.handle.status().fleet?.connected, false);
    await server.restart();
    await run.waitFor('the link back', () => links().length === 2);
    assert.match(String(links()[1]!.message), /the fleet's nats-server is back .*its halt state is read again/);
    assert.equal(run.handle.status().fleet?.connected, true);
    const halt = await cli('halt', '--fleet', ...fleet.flags, '--reason', 'after the restart');
    assert.equal(halt.code, 0, halt.out + halt.err);
    assert.match(halt.out, /1 session\(s\) applied it: 1 HALTED/);
  } finally {
    await run.handle.stop();
    await fake.close();
  }
  const summary = JSON.parse(readFileSync(join(run.handle.outDir, 'summary.json'), 'utf8')) as { fleet: { disconnects: number } };
  assert.equal(summary.fleet.disconnects, 1);
});
