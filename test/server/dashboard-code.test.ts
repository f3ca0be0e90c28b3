/**
 * `tradeloop dashboard --open` must keep the control token off the opener's command line, which
 * every local user can read (/proc/PID/cmdline): the browser gets a one-time code, the page trades
 * it once for a token of its own, and a code tried again is refused and alerted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { FakeBinance, until } from '../helpers/fake-binance.ts';
import { startRealtime } from '../helpers/realtime-harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

test('--open hands xdg-open a one-time code, never the token; the code buys one page token, once', async (t) => {
  const bin = await tempDir(t, 'tl-opener-');
  const seen = join(bin, 'argv.txt');
  writeFileSync(
    join(bin, 'xdg-open'),
    `#!/bin/sh\nprintf '%s\\n' "$@" > ${JSON.stringify(seen)}.tmp && mv ${JSON.stringify(seen)}.tmp ${JSON.stringify(seen)}\n`,
  );
  chmodSync(join(bin, 'xdg-open'), 0o755);
  const fake = await FakeBinance.start(['BTCUSDT']);
  const run = await startRealtime({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    args: ['--symbols', 'BTCUSDT', '--stale-after', '60', '--stale-alert-after', '120'],
  });
  const path = process.env.PATH;
  try {
    const info = JSON.parse(readFileSync(join(run.outDir, 'control.json'), 'utf8')) as { url: string; token: string };
    process.env.PATH = `${bin}:${path ?? ''}`;
    let out = '';
    const code = await main(['dashboard', '--state', run.outDir, '--open'], { stdout: (x) => (out += x), stderr: (x) => (out += x) }, {});
    process.env.PATH = path;
    assert.equal(code, 0, out);
    await until(() => existsSync(seen), 'the opener to run');
    const argv = readFileSync(seen, 'utf8');
    assert.ok(!argv.includes(info.token), "the token is not on the opener's command line");
    const m = /^(http:\/\/127\.0\.0\.1:\d+)\/#code=([\w-]+)$/m.exec(argv);
    assert.ok(m, argv);
    const exchange = () => fetch(`${m[1]}/dashboard/session`, { method: 'POST', body: JSON.stringify({ code: m[2] }) });
    const first = await exchange();
    assert.equal(first.status, 200);
    const { token } = (await first.json()) as { token: string };
    assert.notEqual(token, info.token, 'the page gets a token of its own');
    const halt = await fetch(`${m[1]}/control/halt`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{"reason":"from the page"}' });
    assert.equal(halt.status, 200);
    await run.waitFor('the halt', (r) => r.of('halt').some((h) => h.detail === 'from the page'));
    const again = await exchange();
    assert.equal(again.status, 401, 'a code is spent once used');
    await run.waitFor('the alert', (r) =>
      r.of('alert').some((a) => a.kind === 'control_auth' && /dashboard code that was used already/.test(String(a.message))),
    );
  } finally {
    process.env.PATH = path;
    await run.stop();
    await fake.close();
  }
});
