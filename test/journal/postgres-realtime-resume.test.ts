/**
 * A realtime session journaled in PostgreSQL (--journal URL --session NAME), killed (SIGKILL) and
 * started again with the same name and a new run folder: it resumes from PostgreSQL alone (its
 * events.ndjson rebuilt from the journal), backfills what closed while it was down, decides each
 * minute once and places no order twice. Child processes against the fake exchange on 127.0.0.1
 * and a real PostgreSQL (TRADELOOP_TEST_PG).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { bar, FakeBinance, until } from '../helpers/fake-binance.ts';
import { pgSkip, pgTest } from '../helpers/postgres.ts';
import { tempDirSync } from '../helpers/temp-dir.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'src', 'cli', 'main.ts');
const TRADER = join(ROOT, 'test', 'fixtures', 'strategies', 'scripted-trader.ts');
const BASE = Date.UTC(2026, 0, 5);
const skip = pgSkip();

function session(fake: FakeBinance, url: string, name: string, out: string) {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'run',
      '--source',
      'realtime',
      '--symbols',
      'BTCUSDT',
      '--lot',
      'BTCUSDT=0.001',
      '--ws-url',
      fake.wsUrl,
      '--rest-url',
      fake.restUrl,
      '--journal',
      url,
      '--session',
      name,
      '--out',
      out,
      '--quiet',
      '--strategy',
      TRADER,
      '--param',
      'mode=spam-market',
      '--max-bar-age',
      '100000',
      '--stale-after',
      '60',
      '--stale-alert-after',
      '120',
    ],
    { env: { ...process.env, FLAG_REALTIME: '1' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, exit, stderr: () => stderr };
}

function send(fake: FakeBinance, m: number): void {
  const b = bar('BTCUSDT', m, 100 + m);
  fake.restBars.get('BTCUSDT')!.push(b);
  fake.sendKline(b, true);
}

test('killed and resumed from PostgreSQL in a new run folder: every minute decided once, no order twice, the outage backfilled, verify passes', {
  skip,
}, async (t) => {
  const p = await pgTest(t);
  const name = p.session('rt');
  const fake = await FakeBinance.start(['BTCUSDT']);
  const base = tempDirSync(t, 'tl-pg-rt-');
  const firstOut = join(base, 'first');
  const out = join(base, 'second');
  let cycles = 0;
  const pollCycles = async (): Promise<void> => {
    const r = await p.admin.query("SELECT count(*)::int AS n FROM tradeloop.units WHERE session = $1 AND kind = 'cycle'", [name]).catch(() => null);
    cycles = r?.rows[0]?.n ?? 0;
  };
  try {
    const first = session(fake, p.url, name, firstOut);
    await fake.waitForConnections(1, 20_000);
    const killAfter = 5;
    let m = 0;
    for (; m <= killAfter; m++) {
      send(fake, m);
      await new Promise((r) => setTimeout(r, 15));
    }
    m = killAfter;
    const deadline = Date.now() + 20_000;
    while (cycles < killAfter - 1) {
      assert.ok(Date.now() < deadline, `cycles committed in PostgreSQL (${cycles})`);
      await pollCycles();
    }
    first.child.kill('SIGKILL');
    await first.exit;
    for (const k of [m + 1, m + 2, m + 3]) fake.restBars.get('BTCUSDT')!.push(bar('BTCUSDT', k, 100 + k));
    const second = session(fake, p.url, name, out);
    const conn = await fake.waitForConnections(2, 20_000);
    const last = m + 4;
    const b = bar('BTCUSDT', last, 100 + last);
    fake.restBars.get('BTCUSDT')!.push(b);
    await until(() => existsSync(join(out, 'events.ndjson')) && readFileSync(join(out, 'events.ndjson'), 'utf8').includes('"run_resume"'), 'resumed', 20_000);
    fake.sendKline(b, true, Date.now(), conn);
    const decided = (): number[] =>
      readFileSync(join(out, 'events.ndjson'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"type":"decision"'))
        .map((l) => (JSON.parse(l).openTime - BASE) / 60_000);
    await until(() => decided().includes(last), `minute ${last} decided`, 20_000);
    second.child.kill('SIGINT');
    assert.equal(await second.exit, 0, second.stderr());
    assert.match(second.stderr(), /tradeloop resume RESUMED rt-\w+-\w+ from its journal: \d+ cycles replayed/);
    assert.deepEqual(
      decided(),
      Array.from({ length: last + 1 }, (_, i) => i),
      'each minute decided once, in order: the ones before the kill come from the journal (the new folder had none)',
    );
    const log = readFileSync(join(out, 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; orderId?: string; source?: string });
    const orders = log.filter((e) => e.type === 'order').map((e) => e.orderId!);
    assert.equal(new Set(orders).size, orders.length, 'no order twice');
    assert.equal(orders.length, last + 1);
    assert.ok(
      log.some((e) => e.type === 'bar' && e.source === 'rest-backfill'),
      'the outage came by backfill',
    );
    const segments = await p.admin.query('SELECT kind, status FROM tradeloop.segments WHERE session = $1 ORDER BY id', [name]);
    assert.deepEqual(
      segments.rows.map((r) => [r.kind, r.status]),
      [
        ['start', null],
        ['resume', 'ok'],
      ],
      'the killed segment never ended; the resumed one ended on SIGINT',
    );
  } finally {
    await fake.close();
  }
  let text = '';
  const code = await main(['verify', '--journal', p.url, '--session', name], { stdout: (s) => (text += s), stderr: (s) => (text += s) }, {});
  assert.equal(code, 0, text);
});
