import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../../src/cli/usage-error.ts';
import { parseDuration } from '../../src/replay/duration.ts';
import { parseReplayOptions, replayServerCommand } from '../../src/cli/replay-server-command.ts';
import { dataDir, minuteBars, T0, TestClient, type DataDir } from '../replay/replay-helpers.ts';

describe('replay-server command line', () => {
  let data: DataDir;
  before(async () => {
    data = await dataDir({ BTCUSDT: minuteBars(T0, 50, 100), ETHUSDT: minuteBars(T0, 50, 10) });
  });
  after(async () => {
    await data.remove();
  });

  it('parses durations', () => {
    assert.equal(parseDuration('20s'), 20_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('1m'), 60_000);
    assert.equal(parseDuration('24h'), 86_400_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('20'), 20_000, 'a bare number is seconds, as run --ping-interval');
    for (const bad of ['', '0s', '-1s', '20 sec', 'soon', '1e3']) assert.equal(parseDuration(bad), null, bad);
  });

  it('turns flags into server options', () => {
    const options = parseReplayOptions([
      '--data', data.dir, '--symbols', 'btcusdt, ETHUSDT', '--file', 'ETHUSDT=/x/eth-1.csv', '--file', 'ethusdt=/x/eth-2.csv',
      '--port', '0', '--speed', 'MAX', '--ping-interval', '500ms', '--pong-timeout', '2s', '--interval', '5m',
      '--start', '2021-03-26T03:10:00Z', '--updates-per-bar', '4',
    ]);
    assert.notEqual(options, 'help');
    if (options === 'help') return;
    assert.deepEqual(options.symbols, ['BTCUSDT', 'ETHUSDT']);
    assert.deepEqual(options.files?.get('ETHUSDT'), ['/x/eth-1.csv', '/x/eth-2.csv']);
    assert.equal(options.dataDir, data.dir);
    assert.equal(options.speed, 'max');
    assert.equal(options.pingIntervalMs, 500);
    assert.equal(options.pongTimeoutMs, 2000);
    assert.equal(options.interval, '5m');
    assert.equal(options.startAt, T0 + 10 * 60_000);
    assert.equal(options.updatesPerBar, 4);
    const plain = parseReplayOptions(['--data', data.dir, '--symbols', 'BTCUSDT', '--speed', '60']);
    assert.ok(plain !== 'help' && plain.speed === 60 && plain.port === 0 && plain.pingIntervalMs === undefined);
  });

  it('refuses bad flags with a UsageError that names the flag', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--data', '.'], /--symbols/],
      [['--symbols', 'BTCUSDT'], /--data|--file/],
      [['--data', '.', '--symbols', 'BTCUSDT', '--speed', 'fast'], /--speed/],
      [['--data', '.', '--symbols', 'BTCUSDT', '--speed', '0'], /--speed/],
      [['--data', '.', '--symbols', 'BTCUSDT', '--port', '70000'], /--port/],
      [['--data', '.', '--symbols', 'BTCUSDT', '--ping-interval', 'often'], /--ping-interval/],
      [['--data', '.', '--symbols', 'BTCUSDT', '--interval', '2m'], /--interval/],
      [['--data', '.', '--symbols', 'BTCUSDT', '--start', 'yesterday'], /--start/],
      [['--data', '.', '--symbols', 'BTCUSDT', '--file', 'ETHUSDT=/x.csv'], /--file/],
      [['--data', '.', '--symbols', 'BTCUSDT,BTCUSDT'], /--symbols/],
      [['--data', '.', '--symbols', 'BTCUSDT', '--bogus'], /bogus/],
    ];
    for (const [argv, flag] of cases) {
      assert.throws(() => parseReplayOptions(argv), (err: unknown) => err instanceof UsageError && flag.test(err.message), argv.join(' '));
    }
  });

  it('prints the usage for --help and exits 0', async () => {
    let out = '';
    const code = await replayServerCommand(['--help'], {}, { stdout: (t) => (out += t), stderr: () => {} });
    assert.equal(code, 0);
    assert.match(out, /--symbols/);
  });

  it('exits 1 when a data file is missing', async () => {
    let err = '';
    const code = await replayServerCommand(['--data', data.dir, '--symbols', 'SOLUSDT'], {}, { stdout: () => {}, stderr: (t) => (err += t) });
    assert.equal(code, 1);
    assert.match(err, /SOLUSDT/);
  });

  it('prints its URLs first, serves, and exits 0 on SIGTERM', async () => {
    const command = pathToFileURL(resolve('src/cli/replay-server-command.ts')).href;
    const script = `import { replayServerCommand } from ${JSON.stringify(command)};
process.exitCode = await replayServerCommand(process.argv.slice(1), {}, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, '--', '--data', data.dir, '--symbols', 'BTCUSDT,ETHUSDT', '--speed', '600', '--file', `BTCUSDT=${join(data.dir, 'BTCUSDT.csv')}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    let stdout = '';
    const firstLine = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`no URL line within 10 s; stdout: ${stdout}`)), 10_000);
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const nl = stdout.indexOf('\n');
        if (nl >= 0) {
          clearTimeout(timer);
          done(stdout.slice(0, nl));
        }
      });
    });
    const m = /^replay-server listening (ws:\/\/127\.0\.0\.1:(\d+)) rest (http:\/\/127\.0\.0\.1:\2)$/.exec(firstLine);
    assert.ok(m, firstLine);
    const client = await TestClient.connect(`${m[1]}/stream?streams=ethusdt@kline_1m`);
    await client.next((j) => j.stream === 'ethusdt@kline_1m' && j.data.k.x === true);
    assert.deepEqual(await (await fetch(`${m[3]}/api/v3/ping`)).json(), {});
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal((await client.closed).code, 1001, 'clients got a close frame');
  });
});
