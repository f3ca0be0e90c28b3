/**
 * Credentials and tokens in --ws-url / --rest-url are used for connecting and never shown: not on
 * stdout or stderr, not in events.ndjson or summary.json, not in REST failures, feed or connection
 * details. A real run in a child process (its whole output captured) against the fake exchange.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bar, FakeBinance, until } from '../helpers/fake-binance.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

const CLI = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
const USER = 'alice-u53r';
const PASS = 'pw-s3cr3t-Xy';
const TOKEN = 'tok-9f8e7d';
const KEY = 'key-1a2b3c';
// An incoming webhook's secret is its path (hooks.slack.com/services/T…/B…/…): never written either.
const HOOK = 'hook-p4th-s3cr3t';
const SECRETS = [USER, PASS, TOKEN, KEY, HOOK];

function secretUrl(base: string): string {
  return base.replace('://', `://${USER}:${PASS}@`) + `/?token=${TOKEN}&key=${KEY}`;
}

function tradeloop(args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, FLAG_REALTIME: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

function assertNoSecret(where: string, text: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${where} contains ${s}`);
}

test('a realtime run through URLs with credentials and tokens (and a webhook): connected with them, shows none of them, journal included', async (t) => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const out = tempDirSync(t, 'tradeloop-secrets-');
  const p = tradeloop([
    'run',
    '--source',
    'realtime',
    '--symbols',
    'BTCUSDT',
    '--ws-url',
    secretUrl(fake.wsUrl),
    '--rest-url',
    secretUrl(fake.restUrl),
    '--out',
    out,
    '--alert-webhook',
    `http://127.0.0.1:9/services/T0/B0/${HOOK}`,
  ]);
  try {
    const conn = await fake.waitForConnections(1, 15_000);
    await until(() => p.out().includes('tradeloop realtime run'), 'start line', 15_000);
    // The real URL was used: credentials as Basic auth, the token kept in the query.
    const auth = `Basic ${Buffer.from(`${USER}:${PASS}`).toString('base64')}`;
    assert.equal(fake.upgradeRequests[0]!.headers.authorization, auth);
    assert.equal(fake.upgradeRequests[0]!.url.searchParams.get('token'), TOKEN);
    assert.deepEqual(fake.upgradeRequests[0]!.url.searchParams.get('streams'), 'btcusdt@kline_1m');
    assert.ok(fake.restHeaders.every((h) => h.authorization === auth));
    assert.ok(fake.restRequests.every((u) => u.searchParams.get('key') === KEY));
    // A backfill that fails (its message names the request), then a dropped connection.
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    fake.failKlines = 1;
    fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', 1, 101));
    fake.sendKline(bar('BTCUSDT', 2, 102), true);
    const events = (): string => readFileSync(join(out, 'events.ndjson'), 'utf8');
    await until(() => events().includes('"kind":"backfill"'), 'the backfill failure alert', 15_000);
    assert.match(events(), /api\/v3\/klines/);
    await until(() => events().split('"type":"decision"').length === 4, 'the backfill retried and every bar decided', 15_000);
    fake.drop(conn);
    await fake.waitForConnections(2, 15_000);
    p.child.kill('SIGTERM');
    assert.equal(await p.exited, 0, p.err());
  } finally {
    p.child.kill('SIGKILL');
    await fake.close();
  }
  assertNoSecret('stdout', p.out());
  assertNoSecret('stderr', p.err());
  for (const f of readdirSync(out, { recursive: true }) as string[]) assertNoSecret(f, readFileSync(join(out, f), 'utf8'));
  assert.match(p.out(), /\*\*\*/, 'the start line shows the URL redacted');
});

test('refusals that name a URL redact it: a missing pair, and an unreachable REST server', async (t) => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const url = fake.restUrl;
  await fake.close();
  const lone = tradeloop(['run', '--source', 'realtime', '--ws-url', secretUrl('ws://127.0.0.1:9')]);
  assert.equal(await lone.exited, 2);
  assert.match(lone.err(), /--ws-url/);
  const unreachable = tradeloop([
    'run',
    '--source',
    'realtime',
    '--ws-url',
    secretUrl('ws://127.0.0.1:9'),
    '--rest-url',
    secretUrl(url),
    '--out',
    tempDirSync(t, 'tl-'),
  ]);
  assert.equal(await unreachable.exited, 1);
  assert.match(unreachable.err(), /cannot reach the REST API/);
  for (const p of [lone, unreachable]) {
    assertNoSecret('stdout', p.out());
    assertNoSecret('stderr', p.err());
  }
});
