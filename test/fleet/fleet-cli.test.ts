/**
 * The fleet commands' refusals, by name and before anything is sent: no --nats, a bad URL, flags
 * that do not go with --fleet (or only with it), an unknown fleet subcommand; a nats-server out of
 * reach (exit 1) for the CLI and for a session that would join it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../helpers/fleet-member.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

test('fleet commands refuse by name what they cannot use (exit 2)', async () => {
  const refusals: Array<[string[], RegExp]> = [
    [['halt', '--fleet'], /tradeloop halt --fleet needs --nats URL/],
    [['resume', '--fleet', '--nats', 'http://u:secret@host:4222'], /--nats http:\/\/\*\*\*@host:4222: expected a nats:\/\/ or tls:\/\/ URL/],
    [['flatten', '--fleet', '--nats', 'not a url'], /--nats not a url: not a URL/],
    [['halt', '--fleet', '--nats', 'nats://127.0.0.1:4222', '--state', 'x'], /--state does not apply with --fleet/],
    [['resume', '--fleet', '--nats', 'nats://127.0.0.1:4222', '--halt', 'drawdown'], /--halt does not apply with --fleet: .*lifts the fleet halt only/],
    [['flatten', '--fleet', '--nats', 'nats://127.0.0.1:4222', '--symbols', 'BTCUSDT'], /--symbols does not apply with --fleet/],
    [['status', '--fleet'], /tradeloop fleet status --nats URL/],
    [['halt', '--nats', 'nats://127.0.0.1:4222'], /--nats: only with --fleet/],
    [['halt', '--state', 'x', '--wait', '2'], /--wait: only with --fleet/],
    [['halt', '--fleet', '--nats', 'nats://127.0.0.1:4222', '--wait', '0'], /--wait 0: expected seconds from 0\.05 to 60/],
    [['halt', '--fleet', '--nats', 'nats://127.0.0.1:4222', '--fleet-name', 'a.b'], /--fleet-name "a\.b": expected 1 to 64 letters/],
    [['halt', '--fleet', '--nats', 'nats://127.0.0.1:4222', '--fleet-token', ' '], /--fleet-token: name the fleet token's file/],
    [['fleet'], /tradeloop fleet: name what to do: status/],
    [['fleet', 'stop'], /tradeloop fleet stop: no such fleet command/],
    [['fleet', 'status'], /tradeloop fleet status needs --nats URL/],
    [['fleet', 'status', '--nats', 'nats://127.0.0.1:4222', '--reason', 'x'], /Unknown option '--reason'/],
    [['run', '--source', 'realtime', '--fleet-token', 'x'], /--fleet-token: only with --nats URL/],
    [['run', '--source', 'realtime', '--fleet-name', 'x'], /--fleet-name: only with --nats URL/],
  ];
  for (const [argv, message] of refusals) {
    const r = await cli(...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.err, message, argv.join(' '));
    assert.doesNotMatch(r.err, /secret/);
  }
});

test('help names the fleet commands', async () => {
  for (const argv of [
    ['help', 'fleet'],
    ['fleet', '--help'],
    ['fleet', 'status', '--help'],
  ]) {
    const r = await cli(...argv);
    assert.equal(r.code, 0);
    assert.match(r.out, /tradeloop fleet status --nats URL/);
  }
  const halt = await cli('help', 'halt');
  assert.match(halt.out, /tradeloop halt --fleet --nats URL \[--reason TEXT\] \[--reducing\]/);
  const top = await cli('help');
  assert.match(top.out, /tradeloop halt\|resume\|flatten --fleet --nats URL/);
});

test('a nats-server out of reach: the CLI and a session that would join it say so by name (exit 1)', async (t) => {
  const token = join(tempDirSync(t, 'tl-fleet-cli-'), 'fleet-token');
  writeFileSync(token, 'a-secret-long-enough-for-a-fleet\n', { mode: 0o600 });
  const down = 'nats://u:secret@127.0.0.1:9';
  const halt = await cli('halt', '--fleet', '--nats', down, '--fleet-token', token);
  assert.equal(halt.code, 1);
  assert.match(halt.err, /--nats nats:\/\/\*\*\*@127\.0\.0\.1:9: cannot connect to the fleet's nats-server/);
  const run = await cli(
    'run',
    '--source',
    'realtime',
    '--ws-url',
    'ws://127.0.0.1:9',
    '--rest-url',
    'http://127.0.0.1:9',
    '--nats',
    down,
    '--fleet-token',
    token,
  );
  assert.equal(run.code, 1);
  assert.match(run.err, /cannot connect to the fleet's nats-server/);
  // A token in the URL (nats://TOKEN@host) is an auth token, hidden alike.
  const status = await cli('fleet', 'status', '--nats', 'nats://secret@127.0.0.1:9', '--fleet-token', token);
  assert.equal(status.code, 1);
  assert.match(status.err, /--nats nats:\/\/\*\*\*@127\.0\.0\.1:9: cannot connect/);
  assert.doesNotMatch(halt.err + run.err + status.err, /secret/);
});
