import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../../src/cli/usage-error.ts';
import { main } from '../../src/cli/main.ts';
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
      '--data',
      data.dir,
      '--symbols',
      'btcusdt, ETHUSDT',
      '--file',
      'ETHUSDT=/x/eth-1.csv',
      '--file',
      'ethusdt=/x/eth-2.csv',
      '--port',
      '0',
      '--speed',
      'MAX',
      '--ping-interval',
      '500ms',
      '--pong-timeout',
      '2s',
      '--interval',
      '5m',
      '--start',
      '2021-03-26T03:10:00Z',
      '--updates-per-bar',
      '4',
      '--loop',
      '--tape',
      'Per-Client',
      '--max-connections',
      '8',
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
    assert.equal(options.loop, true);
    assert.equal(options.tape, 'per-client');
    assert.equal(options.maxConnections, 8);
    const plain = parseReplayOptions(['--data', data.dir, '--symbols', 'BTCUSDT', '--speed', '60']);
    assert.ok(plain !== 'help' && plain.speed === 60 && plain.port === 0 && plain.pingIntervalMs === undefined);
    assert.ok(plain.tape === 'shared' && plain.loop === false && plain.maxConnections === undefined, 'shared, no loop, the server default cap');
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
      [['--data', '.', '--symbols', 'BTCUSDT', '--tape', 'both'], /--tape/],
      [['--data', '.', '--symbols', 'BTCUSDT', '--loop', '--interval', '1M'], /--loop/],
      [['--data', '.', '--symbols', 'BTCUSDT', '--max-connections', '0'], /--max-connections/],
      [['--data', '.', '--symbols', 'BTCUSDT', '--max-connections', 'lots'], /--max-connections/],
    ];
    for (const [argv, flag] of cases) {
      assert.throws(
        () => parseReplayOptions(argv),
        (err: unknown) => err instanceof UsageError && flag.test(err.message),
        argv.join(' '),
      );
    }
  });

  it('refuses durations and numbers outside their range, naming the flag and the range', () => {
    // Node fires a timer longer than 2^31 - 1 ms at once: a huge --ping-interval was a ping storm.
    const cases: Array<[string, string]> = [
      ['--ping-interval', '30d'],
      ['--ping-interval', '1ms'],
      ['--ping-interval', '2000000000000'],
      ['--pong-timeout', '2h'],
      ['--pong-timeout', '50ms'],
      ['--lifetime', '30d'],
      ['--lifetime', '500ms'],
      ['--speed', '10000000'],
      ['--speed', '0.0001'],
      ['--updates-per-bar', '5000'],
      ['--updates-per-bar', '0'],
      ['--max-connections', '100000'],
    ];
    for (const [flag, value] of cases) {
      assert.throws(
        () => parseReplayOptions(['--data', '.', '--symbols', 'BTCUSDT', flag, value]),
        (err: unknown) => err instanceof UsageError && err.message.includes(flag) && /\d/.test(err.message.slice(err.message.indexOf(value) + value.length)),
        `${flag} ${value}`,
      );
    }
    // The edges are allowed.
    const edges = parseReplayOptions([
      '--data',
      '.',
      '--symbols',
      'BTCUSDT',
      '--ping-interval',
      '100ms',
      '--pong-timeout',
      '1h',
      '--lifetime',
      '7d',
      '--speed',
      '1000000',
      '--updates-per-bar',
      '1000',
      '--max-connections',
      '10000',
    ]);
    assert.ok(edges !== 'help' && edges.pingIntervalMs === 100 && edges.connectionLifetimeMs === 7 * 86_400_000);
  });

  it('prints the usage for --help and exits 0', async () => {
    let out = '';
    const code = await replayServerCommand(['--help'], {}, { stdout: (t) => (out += t), stderr: () => {} });
    assert.equal(code, 0);
    assert.match(out, /--symbols/);
  });

  it('refuses a missing data file with exit 2, naming the file, as run does', async () => {
    const exitOf = async (argv: string[]): Promise<{ code: number; err: string }> => {
      let err = '';
      const code = await main(argv, { stdout: () => {}, stderr: (t) => (err += t) }, {});
      return { code, err };
    };
    const missing = join(data.dir, 'SOLUSDT.csv');
    const served = await exitOf(['replay-server', '--data', data.dir, '--symbols', 'SOLUSDT']);
    const run = await exitOf(['run', '--data', data.dir, '--symbols', 'SOLUSDT', '--out', join(data.dir, 'out')]);
    assert.equal(run.code, 2);
    assert.equal(served.code, run.code, 'the same refusal, the same exit code');
    for (const name of [missing, '--data', '--file']) assert.ok(served.err.includes(name), name);
    const file = await exitOf(['replay-server', '--symbols', 'BTCUSDT', '--file', 'BTCUSDT=/nope/btc.csv']);
    assert.equal(file.code, 2);
    assert.ok(file.err.includes('--file BTCUSDT=/nope/btc.csv'));
    const folder = await exitOf(['replay-server', '--symbols', 'BTCUSDT', '--file', `BTCUSDT=${data.dir}`]);
    assert.equal(folder.code, 2);
    assert.ok(folder.err.includes('--data'));
  });

  it('exits 1 when a data file is malformed', async () => {
    const bad = await dataDir({});
    try {
      await import('node:fs/promises').then((fs) =>
        fs.writeFile(join(bad.dir, 'BTCUSDT.csv'), 'timestamp,open,high,low,close,volume\n2021-03-26T03:00:00Z,1,2,0.5,x,1\n'),
      );
      let err = '';
      const code = await main(['replay-server', '--data', bad.dir, '--symbols', 'BTCUSDT'], { stdout: () => {}, stderr: (t) => (err += t) }, {});
      assert.equal(code, 1);
      assert.ok(err.includes('BTCUSDT.csv:2'), err);
    } finally {
      await bad.remove();
    }
  });

  it('prints its URLs first, logs each client and the end of the tape on stderr with the time, and exits 0 on SIGTERM', async () => {
    const command = pathToFileURL(resolve('src/cli/replay-server-command.ts')).href;
    const script = `import { replayServerCommand } from ${JSON.stringify(command)};
process.exitCode = await replayServerCommand(process.argv.slice(1), {}, { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });`;
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        script,
        '--',
        '--data',
        data.dir,
        '--symbols',
        'BTCUSDT,ETHUSDT',
        '--speed',
        '6000',
        '--file',
        `BTCUSDT=${join(data.dir, 'BTCUSDT.csv')}`,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    let stderr = '';
    const stderrLines = (): string[] => stderr.split('\n').filter((l) => l.length > 0);
    let wakeStderr = (): void => {};
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      wakeStderr();
    });
    /** The first stderr line that contains every name, once it is there. */
    const stderrLine = (names: readonly string[], timeoutMs = 10_000): Promise<string> =>
      new Promise((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no stderr line with ${names.join(', ')} within ${timeoutMs} ms; stderr:\n${stderr}`)), timeoutMs);
        wakeStderr = () => {
          const hit = stderrLines().find((l) => names.every((n) => l.includes(n)));
          if (hit === undefined) return;
          clearTimeout(timer);
          wakeStderr = () => {};
          done(hit);
        };
        wakeStderr();
      });
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
    const path = '/stream?streams=ethusdt@kline_1m';
    const client = await TestClient.connect(`${m[1]}${path}`);
    await client.next((j) => j.stream === 'ethusdt@kline_1m' && j.data.k.x === true);
    assert.deepEqual(await (await fetch(`${m[3]}/api/v3/ping`)).json(), {});
    await stderrLine(['#1', path, '127.0.0.1']);
    // 50 bars on each symbol: the end of the tape is said, with the bar count and what to do.
    await stderrLine(['100 bars', '--loop']);
    client.ws.close(1000, 'done here');
    await client.closed;
    await stderrLine(['#1', '1000', 'done here']);
    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z replay-server: /;
    for (const line of stderrLines()) assert.match(line, iso, 'every line starts with the time');
    const late = await TestClient.connect(`${m[1]}${path}`);
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal((await late.closed).code, 1001, 'clients got a close frame');
  });
});
