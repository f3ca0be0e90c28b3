import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import { main } from '../../src/cli/main.ts';
import { defaultPublisherId, parsePublishOptions } from '../../src/cli/publish-command.ts';
import { barSubject } from '../../src/fleet/bar-message.ts';
import { bar, FakeBinance } from '../helpers/fake-binance.ts';
import { natsSkip, startNatsServer } from '../helpers/nats.ts';
import { startPublisher, subjectCounts, subjectMessages, testConnection } from './publish-harness.ts';

const CLI = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

async function cli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(
    ['publish', ...args],
    {
      stdout: (s) => {
        stdout += s;
      },
      stderr: (s) => {
        stderr += s;
      },
    },
    env,
  );
  return { code, stdout, stderr };
}

const NATS = ['--nats', 'nats://127.0.0.1:4222'];

test('flag refusals exit 2 and name the flag and what to do', async () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /--nats URL is required.*e\.g\. --nats nats:\/\//],
    [['--nats', 'http://x:1'], /--nats http:\/\/x:1: expected a nats:\/\/ or tls:\/\/ URL/],
    [['--nats', 'nats://u:secret@ho st'], /--nats nats:\/\/\*\*\*@ho st: not a URL/],
    [[...NATS, '--stream', 'a.b'], /--stream "a\.b": a stream name is letters, digits/],
    [[...NATS, '--publisher-id', 'eu.1'], /--publisher-id "eu\.1": it names a subject token/],
    [[...NATS, '--history', '-1'], /--history -1: expected a whole number of bars from 0 to 100000/],
    [[...NATS, '--history', 'many'], /--history many: expected a whole number/],
    [[...NATS, '--symbols', 'BRK.B'], /--symbols: BRK\.B cannot be a NATS subject token/],
    [[...NATS, '--interval', '7m'], /--interval 7m: expected one of/],
    [[...NATS, '--network', 'mainnet'], /--network mainnet: expected production or testnet/],
    [[...NATS, '--ws-url', 'ws://127.0.0.1:1'], /--ws-url ws:\/\/127\.0\.0\.1:1 needs its pair: pass --ws-url and --rest-url together/],
    [[...NATS, '--network', 'testnet', '--ws-url', 'ws://a:1', '--rest-url', 'http://a:1'], /--network testnet with --ws-url: give one/],
    [[...NATS, '--ws-url', 'http://a:1', '--rest-url', 'http://a:1'], /--ws-url http:\/\/a:1: expected a ws: or wss: URL/],
    [[...NATS, '--stale-after', '0'], /--stale-after 0: expected a number of seconds from 1 to 3600/],
    [[...NATS, '--stale-after', '30', '--stale-alert-after', '20'], /--stale-alert-after 20: must not be shorter than --stale-after 30/],
    [[...NATS, '--minutes', '0'], /--minutes 0: expected a whole number of minutes/],
    [[...NATS, '--queue-size', '0'], /--queue-size 0: expected a whole number of bars from 1/],
    [[...NATS, '--flush-timeout', 'x'], /--flush-timeout x: expected a number of seconds/],
    [[...NATS, '--max-backfill-bars', '0'], /--max-backfill-bars 0: expected a whole number of bars from 1/],
    [[...NATS, '--histroy', '5'], /Did you mean --history\?/],
  ];
  for (const [args, message] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: exit 2 (${r.stderr})`);
    assert.match(r.stderr, message, args.join(' '));
    assert.match(r.stderr, /tradeloop publish --help/);
    assert.doesNotMatch(r.stderr, /secret/, 'a password never reaches the terminal');
  }
});

test('publish --help prints every option; defaults as documented', async () => {
  const r = await cli(['--help']);
  assert.equal(r.code, 0);
  for (const flag of ['--nats', '--stream', '--history', '--publisher-id', '--symbols', '--ws-url', '--stale-after', '--max-backfill-bars', '--minutes'])
    assert.ok(r.stdout.includes(flag), flag);
  const o = parsePublishOptions([...NATS]);
  assert.ok(o !== 'help');
  assert.equal(o.stream, 'TRADELOOP_BARS');
  assert.equal(o.history, 1000);
  assert.deepEqual(o.symbols, ['BTCUSDT', 'ETHUSDT']);
  assert.equal(o.upstream.wsUrl, 'wss://stream.binance.com:9443');
  assert.match(o.publisherId, /^[A-Za-z0-9_-]+-\d+$/);
  assert.equal(defaultPublisherId('box.example.com', 42), 'box_example_com-42', 'a dotted host name cannot break the heartbeat subject');
});

test('a nats-server out of reach at start is refused with exit 1, not waited for', async () => {
  const r = await cli(['--nats', 'nats://127.0.0.1:1', '--ws-url', 'ws://127.0.0.1:1', '--rest-url', 'http://127.0.0.1:1']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /cannot reach nats-server at nats:\/\/127\.0\.0\.1:1.*nats-server -js/);
});

test("a stream of someone else's is refused by name, never changed; one that takes the bars already is named", { skip: natsSkip() }, async (t) => {
  const nats = await startNatsServer(t);
  const nc = await testConnection(t, nats.url);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'] });
  await jsm.streams.add({ name: 'QUEUE', subjects: ['tradeloop.bars.1h.>'], retention: RetentionPolicy.Workqueue });
  const upstream = ['--ws-url', 'ws://127.0.0.1:1', '--rest-url', 'http://127.0.0.1:1'];
  const other = await cli(['--nats', nats.url, '--stream', 'ORDERS', ...upstream]);
  assert.equal(other.code, 2);
  assert.match(other.stderr, /--stream ORDERS: the stream exists with subjects orders\.>, which do not take tradeloop\.bars\.1m\.\*/);
  assert.deepEqual((await jsm.streams.info('ORDERS')).config.subjects, ['orders.>'], 'left as it was');
  const queue = await cli(['--nats', nats.url, '--stream', 'QUEUE', '--interval', '1h', ...upstream]);
  assert.equal(queue.code, 2);
  assert.match(queue.stderr, /--stream QUEUE: the stream exists with workqueue retention/);

  await jsm.streams.delete('QUEUE');
  await jsm.streams.add({ name: 'BARS_A', subjects: ['tradeloop.bars.>'] });
  const overlap = await cli(['--nats', nats.url, '--stream', 'BARS_B', ...upstream]);
  assert.equal(overlap.code, 2);
  assert.match(overlap.stderr, /--stream BARS_B: cannot create it: stream BARS_A already takes tradeloop\.bars\.>\. Publish into it with --stream BARS_A/);

  // Something else publishes on the bar subjects: the publisher cannot tell where the stream ends.
  nc.publish(barSubject('1m', 'BTCUSDT'), 'hello');
  await nc.flush();
  const junk = await cli(['--nats', nats.url, '--stream', 'BARS_A', '--symbols', 'BTCUSDT', ...upstream]);
  assert.equal(junk.code, 2);
  assert.match(junk.stderr, /--stream BARS_A: its first message on tradeloop\.bars\.1m\.BTCUSDT \(sequence 1\) is not a bar \(not JSON\)/);
});

test('an unknown symbol is refused by name (exit 2) before anything is published', { skip: natsSkip() }, async (t) => {
  const nats = await startNatsServer(t);
  const fake = await FakeBinance.start(['BTCUSDT']);
  t.after(() => fake.close());
  fake.restBars.set('BTCUSDT', [bar('BTCUSDT', 0, 100)]);
  const r = await cli(['--nats', nats.url, '--ws-url', fake.wsUrl, '--rest-url', fake.restUrl, '--symbols', 'BTCUSDT,BTCUSTD', '--stream', 'TL_SYM']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--symbols: BTCUSTD is not a symbol/);
  const nc = await testConnection(t, nats.url);
  assert.deepEqual(await subjectCounts(nc, 'TL_SYM'), {});
});

test('SIGTERM stops a running publisher cleanly: the bars it took are in the stream, the summary printed, exit 0; no FLAG_REALTIME needed', {
  skip: natsSkip(),
}, async (t) => {
  const nats = await startNatsServer(t);
  const fake = await FakeBinance.start(['BTCUSDT']);
  t.after(() => fake.close());
  fake.restBars.set(
    'BTCUSDT',
    Array.from({ length: 5 }, (_, m) => bar('BTCUSDT', m, 100 + m)),
  );
  const { FLAG_REALTIME: _, ...env } = process.env;
  const child = spawn(
    process.execPath,
    [CLI, 'publish', '--nats', nats.url, '--ws-url', fake.wsUrl, '--rest-url', fake.restUrl, '--symbols', 'BTCUSDT', '--stream', 'TL_SIG', '--history', '5'],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.after(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const conn = await fake.waitForConnections(1, 15_000);
  for (let m = 5; m < 8; m++) fake.sendKline(bar('BTCUSDT', m, 100 + m), true, Date.now(), conn);
  const nc = await testConnection(t, nats.url);
  const subject = barSubject('1m', 'BTCUSDT');
  const deadline = Date.now() + 15_000;
  while (((await subjectCounts(nc, 'TL_SIG').catch(() => ({}))) as Record<string, number>)[subject] !== 8) {
    assert.ok(Date.now() < deadline, `8 bars in the stream; stderr: ${stderr}`);
    await fake.nextEvent();
  }
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const [code] = await exited;
  assert.equal(code, 0, stderr);
  assert.match(stdout, /published\s+8 new, 0 duplicates/);
  assert.deepEqual(await subjectCounts(nc, 'TL_SIG'), { [subject]: 8 });
});

test('a publisher killed with SIGKILL and started again: what closed meanwhile is published in order, its history repeats are duplicates', {
  skip: natsSkip(),
}, async (t) => {
  const nats = await startNatsServer(t);
  const fake = await FakeBinance.start(['BTCUSDT']);
  t.after(() => fake.close());
  fake.restBars.set(
    'BTCUSDT',
    Array.from({ length: 5 }, (_, m) => bar('BTCUSDT', m, 100 + m)),
  );
  const child = spawn(
    process.execPath,
    [CLI, 'publish', '--nats', nats.url, '--ws-url', fake.wsUrl, '--rest-url', fake.restUrl, '--symbols', 'BTCUSDT', '--stream', 'TL_KILL', '--history', '5'],
    { stdio: 'ignore' },
  );
  t.after(() => child.kill('SIGKILL'));
  const conn = await fake.waitForConnections(1, 15_000);
  for (let m = 5; m < 8; m++) fake.sendKline(bar('BTCUSDT', m, 100 + m), true, Date.now(), conn);
  const nc = await testConnection(t, nats.url);
  const subject = barSubject('1m', 'BTCUSDT');
  const deadline = Date.now() + 15_000;
  while (((await subjectCounts(nc, 'TL_KILL').catch(() => ({}))) as Record<string, number>)[subject] !== 8) {
    assert.ok(Date.now() < deadline, '8 bars in the stream');
    await fake.nextEvent();
  }
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
  // Minutes 5..12 as REST has them: 8..12 closed while no publisher ran.
  fake.restBars.set(
    'BTCUSDT',
    Array.from({ length: 13 }, (_, m) => bar('BTCUSDT', m, 100 + m)),
  );
  const again = await startPublisher(t, { fake, nats: nats.url, symbols: ['BTCUSDT'], stream: 'TL_KILL', history: 5 });
  assert.equal(await again.stop(), 0);
  const summary = await again.publisher.stop();
  assert.deepEqual(
    (await subjectMessages(nc, 'TL_KILL', subject)).map((m) => m.openTime),
    Array.from({ length: 13 }, (_, m) => bar('BTCUSDT', m, 0).openTime),
  );
  // History 5 at the restart = minutes 8..12, all missed: nothing to repeat; a longer history repeats what the stream has.
  assert.deepEqual(summary.missed, { published: 5, duplicates: 0 });
  const third = await startPublisher(t, { fake, nats: nats.url, symbols: ['BTCUSDT'], stream: 'TL_KILL', history: 13, id: 'test-3' });
  assert.equal(await third.stop(), 0);
  assert.deepEqual((await third.publisher.stop()).history, { published: 0, duplicates: 13, notSent: 0 });
  assert.deepEqual(await subjectCounts(nc, 'TL_KILL'), { [subject]: 13 });
});
