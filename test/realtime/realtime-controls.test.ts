/**
 * Driving a running realtime session without a restart: the CLI's status, halt, flatten and
 * resume through control.json; the token; the halt file; a restart that restores an operator halt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { bar, FakeBinance, roundTrip } from '../helpers/fake-binance.ts';
import { startLoop } from '../helpers/loop-harness.ts';
import { startRealtime, type RealtimeRun } from '../helpers/realtime-harness.ts';
import type { Strategy } from '../../src/strategy/strategy.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

// Fills at the close (--fill-model close): these tests are about the controls, and want a bar's buy filled on that bar.
const ONE = ['--symbols', 'BTCUSDT', '--lot', 'BTCUSDT=0.001', '--stale-after', '60', '--stale-alert-after', '120', '--fill-model', 'close'];
/** ONE as run options, for the tests that do not restart a session from its files. */
const ONE_OPTIONS = { symbols: ['BTCUSDT'], lots: { BTCUSDT: '0.001' }, staleAfterMs: 60_000, staleAlertAfterMs: 120_000, fillModel: 'close' as const };
/** Buys one lot on every bar: each decision tests the gate. */
const buyer: Strategy = { name: 'buyer', warmup: 0, onBar: () => [{ side: 'buy', qty: 1 }] };

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t) }, {});
  return { code, out, err };
}

async function decide(fake: FakeBinance, run: RealtimeRun, minute: number, close: number): Promise<void> {
  const n = run.of('decision').length;
  fake.sendKline(bar('BTCUSDT', minute, close), true);
  await run.waitFor(`decision ${minute}`, (r) => r.of('decision').length === n + 1);
}

test('status, halt, flatten and resume through the CLI on a running session; every change is an event and a stderr line', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE_OPTIONS, strategy: buyer });
  const dir = run.outDir;
  try {
    const conn = await fake.waitForConnections(1);
    await decide(fake, run, 0, 100);
    assert.equal(run.of('fill').length, 1);
    const info = JSON.parse(readFileSync(join(dir, 'control.json'), 'utf8')) as { url: string; token: string; pid: number };
    assert.equal(statSync(join(dir, 'control.json')).mode & 0o777, 0o600);
    assert.equal(info.pid, process.pid);
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);

    const status = await cli('status', '--state', dir, '--json');
    assert.equal(status.code, 0, status.err);
    const s = JSON.parse(status.out) as { state: string; positions: Array<{ symbol: string; qty: string }>; counts: { fills: number } };
    assert.deepEqual([s.state, s.positions.map((p) => [p.symbol, p.qty]), s.counts.fills], ['ACTIVE', [['BTCUSDT', '0.001']], 1]);

    const halt = await cli('halt', '--state', dir, '--reason', 'checking the feed');
    assert.equal(halt.code, 0, halt.err);
    assert.match(halt.out, /HALTED/);
    assert.deepEqual(
      run.of('halt').map((h) => [h.reason, h.source, h.state, h.detail]),
      [['operator', 'operator', 'HALTED', 'checking the feed']],
    );
    assert.deepEqual(
      run.of('trading_state').map((e) => [e.from, e.to]),
      [['ACTIVE', 'HALTED']],
    );
    const again = await cli('halt', '--state', dir);
    assert.equal(again.code, 0);
    assert.match(again.out, /no change/);
    assert.equal(run.of('halt').length, 1, 'halting what is halted is a no-op, not a new event pair');
    // With another reason too: the halt held keeps its own, and the answer says which it is.
    const withReason = await cli('halt', '--state', dir, '--reason', 'still checking');
    assert.equal(withReason.code, 0);
    assert.match(withReason.out, /no change.*checking the feed/);
    assert.equal(run.of('halt').length, 1, 'a second reason is not a second halt');

    await decide(fake, run, 1, 101);
    assert.equal(run.of('reject').at(-1)!.reason, 'trading_halted');

    // The newest price the feed has seen (an x:false update) is where a flatten fills in realtime.
    fake.sendKline(bar('BTCUSDT', 2, 110), false);
    await roundTrip(conn); // the client has handled the update: it is the newest price
    const flat = await cli('flatten', '--state', dir);
    assert.equal(flat.code, 0, flat.err);
    const fill = run.of('fill').at(-1)!;
    const order = run.of('order').at(-1)!;
    assert.deepEqual([order.sentBy, fill.priceSource, fill.position], ['operator', 'last_update', 0]);
    assert.equal(fill.price, 109.989, 'the newest update (110) moved by 1 bp of slippage against the sell');
    // The session's own terminal says so too, with where the price came from.
    assert.match(run.stdout.join(''), /FLATTEN BTCUSDT sell 0\.001 at 109\.989 \(last_update of \d{4}-\d\d-\d\dT[^)]*\) -> position 0/);
    // Stamped with the session's wall clock (as the README says), not with a bar's time.
    assert.match(run.stdout.join(''), /tradeloop \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ FLATTEN/);
    assert.match(run.stdout.join(''), /tradeloop \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ REJECT {2}trading_halted/);

    const resumeFeed = await cli('resume', '--state', dir, '--halt', 'feed_stale');
    assert.equal(resumeFeed.code, 1, 'nothing of that kind is held, and trading stays HALTED: a script must not read success');
    assert.match(resumeFeed.err, /no change[\s\S]*trading is still HALTED/);
    const resume = await cli('resume', '--state', dir);
    assert.equal(resume.code, 0, resume.err);
    assert.match(resume.out, /ACTIVE/);
    assert.deepEqual(
      run.of('trading_state').map((e) => e.to),
      ['HALTED', 'ACTIVE'],
    );
    await decide(fake, run, 3, 111);
    assert.equal(run.of('fill').at(-1)!.openTime, bar('BTCUSDT', 3, 111).openTime, 'trading again');
    assert.ok(
      run.stdout.some((l) => /HALT +operator \(operator, halted\): checking the feed/.test(l)),
      'the halt is a stderr line',
    );
  } finally {
    await run.stop();
    await fake.close();
  }
  assert.equal(existsSync(join(dir, 'control.json')), false, 'control.json is removed at shutdown');
  const gone = await cli('status', '--state', dir);
  assert.equal(gone.code, 3);
});

test('a missing or wrong token gets 401 and nothing else; it is counted and alerted once a minute; /status needs none', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE_OPTIONS, strategy: buyer });
  try {
    const url = run.controlUrl!;
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: `Bearer ${run.token}x` }]) {
      const res = await fetch(`${url}/control/halt`, { method: 'POST', headers, body: '{}' });
      assert.equal(res.status, 401);
      assert.deepEqual(await res.json(), { error: 'unauthorized' });
    }
    assert.equal(run.session.status().state, 'ACTIVE');
    await run.sink.waitFor((e) => e.type === 'alert' && e.kind === 'control_auth', 'control_auth alert');
    assert.equal(run.of('alert').filter((a) => a.kind === 'control_auth').length, 1, 'rate-limited: one alert for the burst');
    const status = await fetch(`${url}/status`);
    assert.equal(status.status, 200);
    // fetch will not send another Host: a raw request does, as a rebound DNS name would.
    const spoofed = await new Promise<number>((resolve, reject) => {
      get(`${url}/status`, { headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    assert.equal(spoofed, 421, 'a request for another host (DNS rebinding) is refused');
    const ok = await fetch(`${url}/control/halt`, { method: 'POST', headers: { authorization: `Bearer ${run.token}` }, body: '{"reducing": true}' });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { state: string }).state, 'REDUCING');
    const bad = await fetch(`${url}/control/resume`, { method: 'POST', headers: { authorization: `Bearer ${run.token}` }, body: '{"halt": "nonsense"}' });
    assert.equal(bad.status, 400);
  } finally {
    await run.stop();
    await fake.close();
  }
  // The burst's other refusals, folded into the next alert, are reported at shutdown rather than lost.
  const counts = run
    .of('alert')
    .filter((a) => a.kind === 'control_auth')
    .map((a) => Number(/^(\d+) control/.exec(String(a.message))?.[1]));
  assert.deepEqual(counts, [1, 2]);
  assert.equal(readFileSync(join(run.outDir, 'events.ndjson'), 'utf8').includes(run.token!), false, 'the token is never logged');
});

test('the halt file halts a running session at the next poll; its removal lifts it; an operator halt is held apart', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE_OPTIONS, strategy: buyer });
  const file = join(run.outDir, 'HALT');
  try {
    await fake.waitForConnections(1);
    writeFileSync(file, 'reducing\n');
    run.clock.advance(30);
    await run.sink.waitFor((e) => e.type === 'halt' && e.reason === 'halt_file', 'halt_file halt');
    assert.equal(run.session.status().state, 'REDUCING');
    await cli('halt', '--state', run.outDir);
    assert.equal(run.session.status().state, 'HALTED');
    rmSync(file);
    run.clock.advance(30);
    await run.sink.waitFor((e) => e.type === 'resume' && e.reason === 'halt_file', 'halt file lifted');
    assert.equal(run.session.status().state, 'HALTED', 'removing the file does not lift the operator halt');
    assert.deepEqual(
      run.session.status().halts.map((h) => h.reason),
      ['operator'],
    );
    // The other way round: the operator's resume lifts its own halt, but the file's still holds.
    writeFileSync(file, 'halt\n');
    run.clock.advance(30);
    await run.waitFor('halt_file halt again', (r) => r.of('halt').filter((h) => h.reason === 'halt_file').length === 2);
    const resumed = await cli('resume', '--state', run.outDir);
    assert.equal(resumed.code, 1, 'trading stays HALTED by the file: `tradeloop resume && ...` must not go on');
    assert.match(resumed.err, /operator lifted[\s\S]*halt_file[\s\S]*trading is still HALTED/);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('a restart with the same --state resumes the session, halted before its first bar by the operator halt it left (and says so); resume lifts it', async (t) => {
  const state = tempDirSync(t, 'tl-state-');
  const fake = await FakeBinance.start(['BTCUSDT']);
  try {
    const first = await startRealtime({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, args: [...ONE, '--state', state], strategy: buyer });
    await fake.waitForConnections(1);
    await decide(fake, first, 0, 100);
    assert.equal((await cli('halt', '--state', state, '--reason', 'overnight')).code, 0);
    await first.stop();
    const second = await startRealtime({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, args: [...ONE, '--state', state], strategy: buyer });
    try {
      const events = second.events();
      assert.equal(events[0]!.runId, first.events()[0]!.runId, 'the same run, resumed');
      const marker = events.findIndex((e) => e.type === 'run_resume');
      assert.ok(marker > 0, 'a run_resume marker');
      assert.ok(events.slice(0, marker).some((e) => e.type === 'halt' && e.reason === 'operator' && e.detail === 'overnight'));
      assert.equal(second.session.status().state, 'HALTED', 'restored before the first bar');
      // Its events were written before the restart: the operator is told again, at once.
      assert.match(
        second.stdout.join(''),
        /HALT +operator \(operator, halted\): overnight -> trading HALTED \(held when the session stopped; restored from the journal\)/,
      );
      assert.deepEqual(
        second.session.status().positions.map((p) => p.qty),
        ['0.001'],
        'and the position with it',
      );
      await fake.waitForConnections(2);
      await decide(fake, second, 1, 100);
      assert.equal(second.of('reject').at(-1)!.reason, 'trading_halted');
      const resume = await cli('resume', '--state', state);
      assert.equal(resume.code, 0, resume.err);
      const persisted = JSON.parse(readFileSync(join(state, 'halts.json'), 'utf8')) as { halts: unknown[] };
      assert.deepEqual(persisted.halts, [], 'the lift is persisted before it is acknowledged');
    } finally {
      await second.stop();
    }
  } finally {
    await fake.close();
  }
});

test('resume cannot lift the flag halt and says how it is lifted; status says so too', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startLoop({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, options: ONE_OPTIONS, strategy: buyer, tradingHalted: true });
  try {
    const r = await cli('resume', '--state', run.outDir, '--halt', 'flag');
    assert.equal(r.code, 1);
    assert.match(r.err, /restart without FLAG_TRADING_HALTED/);
    const s = await cli('status', '--state', run.outDir);
    assert.match(s.out, /flag \(flag, halted.*\n.*lifted by: restart without FLAG_TRADING_HALTED/);
  } finally {
    await run.stop();
    await fake.close();
  }
});

test('control commands: exit 3 when no session runs there, 2 on usage errors', async (t) => {
  const empty = tempDirSync(t, 'tl-none-');
  assert.equal((await cli('halt', '--state', empty)).code, 3);
  writeFileSync(join(empty, 'control.json'), JSON.stringify({ url: 'http://127.0.0.1:1', token: 'x', pid: 2 ** 22 + 7 }));
  const dead = await cli('status', '--state', empty);
  assert.equal(dead.code, 3);
  assert.match(dead.err, /not running/);
  assert.equal((await cli('halt')).code, 2);
  assert.equal((await cli('resume', '--state', empty, '--halt', 'bogus')).code, 2);
  assert.equal((await cli('status', '--state', empty, '--reducing')).code, 2);
});

test('after a resume, the time out of ACTIVE counts the halts held before the restart at their journaled times', async (t) => {
  const state = tempDirSync(t, 'tl-state-');
  const fake = await FakeBinance.start(['BTCUSDT']);
  try {
    const first = await startRealtime({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, args: [...ONE, '--state', state], strategy: buyer });
    await fake.waitForConnections(1);
    assert.equal((await cli('halt', '--state', state, '--reason', 'ten seconds')).code, 0);
    first.clock.advance(10_000);
    assert.equal((await cli('resume', '--state', state)).code, 0);
    await first.stop();
    const second = await startRealtime({ wsUrl: fake.wsUrl, restUrl: fake.restUrl, args: [...ONE, '--state', state], strategy: buyer });
    await second.stop();
    const s = JSON.parse(readFileSync(join(second.outDir, 'summary.json'), 'utf8')) as { halts: { timeNotActiveMs?: number } };
    assert.equal(s.halts.timeNotActiveMs, 10_000, 'the 10 s halt of the first segment, from the journal');
  } finally {
    await fake.close();
    rmSync(state, { recursive: true, force: true });
  }
});
