/**
 * The fleet token's file: where it lives by default, made 0600 on first use (its folder 0700), the
 * same secret read back after; refused by name when others may read it, when it is not the user's
 * own, not a file, or too short; and the key never shows the secret.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { main } from '../../src/cli/main.ts';
import { fleetCommand } from '../../src/cli/fleet-command.ts';
import { UsageError } from '../../src/errors.ts';
import { defaultTokenPath, loadFleetToken } from '../../src/fleet/fleet-token.ts';
import { natsSkip, natsUrl } from '../helpers/nats.ts';
import { uniqueName } from '../helpers/postgres.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

test('the default token file is in $XDG_CONFIG_HOME/tradeloop, else ~/.config/tradeloop; a relative XDG_CONFIG_HOME is ignored', () => {
  assert.equal(defaultTokenPath({ XDG_CONFIG_HOME: '/cfg', HOME: '/home/a' }), '/cfg/tradeloop/fleet-token');
  assert.equal(defaultTokenPath({ XDG_CONFIG_HOME: 'rel', HOME: '/home/a' }), '/home/a/.config/tradeloop/fleet-token');
  assert.equal(defaultTokenPath({ HOME: '/home/a' }), '/home/a/.config/tradeloop/fleet-token');
  assert.equal(defaultTokenPath({}), null);
  assert.throws(
    () => loadFleetToken(null, {}),
    (e: Error) => e instanceof UsageError && /neither XDG_CONFIG_HOME nor HOME is set.*--fleet-token FILE/.test(e.message),
  );
});

test('made on first use with mode 0600 in a 0700 folder; read back the same; signs alike', (t) => {
  const cfg = tempDirSync(t, 'tl-xdg-');
  const first = loadFleetToken(null, { XDG_CONFIG_HOME: cfg });
  const path = join(cfg, 'tradeloop', 'fleet-token');
  assert.deepEqual([first.path, first.created], [path, true]);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(cfg, 'tradeloop')).mode & 0o777, 0o700);
  assert.match(readFileSync(path, 'utf8'), /^[A-Za-z0-9_-]{43}\n$/);
  const again = loadFleetToken(path, {});
  assert.equal(again.created, false);
  assert.equal(again.key.mac('x'), first.key.mac('x'), 'the same secret');
  assert.equal(first.key.verify('x', again.key.mac('x')), true);
  assert.equal(first.key.verify('y', again.key.mac('x')), false);
  assert.equal(first.key.verify('x', 'not hex'), false);
  const other = loadFleetToken(join(tempDirSync(t, 'tl-other-'), 'fleet-token'), {});
  assert.notEqual(other.key.mac('x'), first.key.mac('x'), 'each new file holds a new secret');
  // The key never shows its secret, however it is printed.
  const secret = readFileSync(path, 'utf8').trim();
  for (const shown of [String(first.key), JSON.stringify({ key: first.key }), inspect(first.key), inspect(first)])
    assert.equal(shown.includes(secret), false, shown);
});

test('a token file others may read, not a file, or too short is refused by name', (t) => {
  const dir = tempDirSync(t, 'tl-token-');
  const path = join(dir, 'fleet-token');
  writeFileSync(path, 'a-secret-long-enough-for-a-fleet\n', { mode: 0o600 });
  assert.equal(loadFleetToken(path, {}).created, false);
  for (const mode of [0o644, 0o640, 0o604]) {
    chmodSync(path, mode);
    assert.throws(
      () => loadFleetToken(path, {}),
      (e: Error) =>
        e instanceof UsageError &&
        e.message.includes(`--fleet-token ${path}: mode 0${mode.toString(8)} lets group or others read`) &&
        e.message.includes(`chmod 600 ${path}`),
    );
  }
  chmodSync(path, 0o600);
  writeFileSync(path, 'short\n');
  assert.throws(() => loadFleetToken(path, {}), /holds 5 character\(s\), too short to be a secret/);
  const folder = join(dir, 'folder');
  mkdirSync(folder, { mode: 0o700 });
  assert.throws(() => loadFleetToken(folder, {}), /not a file/);
  // Under a file, no folder can be made for it.
  assert.throws(() => loadFleetToken(join(path, 'x'), {}), new RegExp(`--fleet-token ${path}/x: cannot create it \\((ENOTDIR|EEXIST)\\)`));
});

test('tradeloop run refuses a world-readable fleet token by name before it starts (exit 2)', async (t) => {
  const path = join(tempDirSync(t, 'tl-token-run-'), 'fleet-token');
  writeFileSync(path, 'a-secret-long-enough-for-a-fleet\n', { mode: 0o644 });
  chmodSync(path, 0o644);
  let err = '';
  const code = await main(
    ['run', '--source', 'realtime', '--ws-url', 'ws://127.0.0.1:9', '--rest-url', 'http://127.0.0.1:9', '--nats', 'nats://127.0.0.1:9', '--fleet-token', path],
    { stdout: () => {}, stderr: (s) => (err += s) },
    { FLAG_REALTIME: '1' },
  );
  assert.equal(code, 2, err);
  assert.match(err, new RegExp(`--fleet-token ${path}: mode 0644 lets group or others read the fleet token`));
});

test('the CLI makes the default token file for a fleet new on the server and says where (never what); for a fleet that exists it refuses to, naming the file', {
  skip: natsSkip(),
}, async (t) => {
  const cfg = tempDirSync(t, 'tl-xdg-cli-');
  let out = '';
  let err = '';
  const code = await fleetCommand(
    ['status', '--nats', natsUrl(), '--fleet-name', uniqueName('tl_fleet')],
    { stdout: (s) => (out += s), stderr: (s) => (err += s) },
    { XDG_CONFIG_HOME: cfg },
  );
  assert.equal(code, 0, err);
  const path = join(cfg, 'tradeloop', 'fleet-token');
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.match(err, new RegExp(`is new on this server: made its fleet token in ${path} \\(mode 0600\\)`));
  assert.match(out, /no session of fleet tl_fleet\S+ answered/);
  assert.equal((out + err).includes(readFileSync(path, 'utf8').trim()), false);
  // A fleet that exists (its bucket on the server): another machine without the file is refused, and no token is made.
  const name = uniqueName('tl_fleet');
  const nc = await connect({ servers: natsUrl() });
  await new Kvm(nc).create(name);
  await nc.close();
  const elsewhere = tempDirSync(t, 'tl-xdg-cli-other-');
  await assert.rejects(
    fleetCommand(['status', '--nats', natsUrl(), '--fleet-name', name], { stdout: () => {}, stderr: () => {} }, { XDG_CONFIG_HOME: elsewhere }),
    (e: Error) => e.name === 'UsageError' && /the fleet token .*fleet-token: no such file\. Fleet commands sign with the fleet's token/.test(e.message),
  );
  assert.equal(existsSync(join(elsewhere, 'tradeloop', 'fleet-token')), false, 'no token made for a fleet that exists');
});
