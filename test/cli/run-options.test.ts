/**
 * `run` flag parsing: every refusal exits 2 and names the flag. Asserts on the flag and value
 * named, never on the wording around them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from '../helpers/run-cli.ts';
import { parseRunOptions, type RunOptions } from '../../src/cli/run-options.ts';
import { UsageError } from '../../src/cli/usage-error.ts';
import { numParam } from '../../src/strategy/strategy.ts';

test('names from Object.prototype are not intervals, strategies or duplicate params', async (t) => {
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) {
    const interval = await runCli(t, ['--interval', name, '--strategy', 'hold']);
    assert.equal(interval.code, 2, `--interval ${name}: ${interval.stderr}`);
    assert.ok(interval.stderr.includes(`--interval ${name}`), interval.stderr);
    const strategy = await runCli(t, ['--strategy', name]);
    assert.equal(strategy.code, 2, `--strategy ${name}`);
    assert.ok(strategy.stderr.includes(`--strategy ${name}`), strategy.stderr);
    assert.ok(strategy.stderr.includes('sma-cross'), `lists the built-ins: ${strategy.stderr}`);
    // A strategy parameter of that name is the strategy's to refuse, by name; never "given twice" or dropped.
    const param = await runCli(t, ['--param', `${name}=1`]);
    assert.equal(param.code, 2, `--param ${name}=1`);
    assert.ok(param.stderr.includes(`--param ${name}`) && !param.stderr.includes('twice'), param.stderr);
  }
});

function refusal(argv: readonly string[]): UsageError {
  try {
    parseRunOptions(argv);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  assert.fail(`accepted: ${argv.join(' ')}`);
}

function accepted(argv: readonly string[]): RunOptions {
  const opts = parseRunOptions(argv);
  assert.notEqual(opts, 'help');
  return opts as RunOptions;
}

const RT = ['--source', 'realtime'];

test('every duration and count flag of run is bounded, and the refusal names the flag and the allowed range', () => {
  const cases: ReadonlyArray<readonly [readonly string[], string, number]> = [
    [[...RT, '--minutes', '525601'], '--minutes', 525_600],
    [['--minutes', '52560001'], '--minutes', 52_560_000],
    [[...RT, '--ping-interval', '0.5'], '--ping-interval', 3600],
    [[...RT, '--ping-interval', '3601'], '--ping-interval', 3600],
    [[...RT, '--ping-interval', '1e9'], '--ping-interval', 3600],
    [[...RT, '--ping-interval', '0x10'], '--ping-interval', 3600],
    [[...RT, '--stale-after', '0'], '--stale-after', 3600],
    [[...RT, '--stale-after', '3601'], '--stale-after', 3600],
    [[...RT, '--stale-alert-after', '86401'], '--stale-alert-after', 86_400],
    [[...RT, '--latency-alert-ms', '0'], '--latency-alert-ms', 600_000],
    [[...RT, '--latency-alert-ms', '600001'], '--latency-alert-ms', 600_000],
    [[...RT, '--latency-alert-ms', '1.5'], '--latency-alert-ms', 600_000],
    [[...RT, '--slice-grace-ms', '0'], '--slice-grace-ms', 600_000],
    [[...RT, '--slice-grace-ms', '600001', '--interval', '1h'], '--slice-grace-ms', 600_000],
    [[...RT, '--queue-size', '0'], '--queue-size', 1_000_000],
    [[...RT, '--queue-size', '1000001'], '--queue-size', 1_000_000],
    [[...RT, '--queue-size', '2.5'], '--queue-size', 1_000_000],
    [[...RT, '--queue-size', ' '], '--queue-size', 1_000_000],
  ];
  for (const [argv, flag, max] of cases) {
    const err = refusal(argv);
    assert.ok(err.message.includes(flag), `${argv.join(' ')}: ${err.message}`);
    assert.ok(err.message.includes(String(max)), `${argv.join(' ')} states the range: ${err.message}`);
  }
  const top = accepted([
    ...RT,
    '--minutes',
    '525600',
    '--ping-interval',
    '3600',
    '--stale-after',
    '3600',
    '--stale-alert-after',
    '86400',
    '--latency-alert-ms',
    '600000',
    '--queue-size',
    '1000000',
    '--slice-grace-ms',
    '600000',
    '--interval',
    '1h',
  ]);
  assert.deepEqual(
    [top.minutes, top.pingIntervalMs, top.staleAfterMs, top.staleAlertAfterMs, top.latencyAlertMs, top.queueSize, top.sliceGraceMs],
    [525_600, 3_600_000, 3_600_000, 86_400_000, 600_000, 1_000_000, 600_000],
  );
  const low = accepted([
    ...RT,
    '--minutes',
    '1',
    '--ping-interval',
    '1',
    '--stale-after',
    '1',
    '--stale-alert-after',
    '1',
    '--latency-alert-ms',
    '1',
    '--queue-size',
    '1',
    '--slice-grace-ms',
    '1',
  ]);
  assert.deepEqual(
    [low.minutes, low.pingIntervalMs, low.staleAfterMs, low.staleAlertAfterMs, low.latencyAlertMs, low.queueSize, low.sliceGraceMs],
    [1, 1000, 1000, 1000, 1, 1, 1],
  );
  assert.equal(accepted(['--minutes', '52560000']).minutes, 52_560_000, 'csv minutes are bar time: a long daily history is fine');
  assert.equal(accepted([...RT, '--stale-after', '2.5']).staleAfterMs, 2500, 'seconds may have decimals');
});

test('--stale-after alone raises the default --stale-alert-after with it; an explicit contradictory pair is still refused', () => {
  assert.equal(accepted(RT).staleAlertAfterMs, 10_000);
  assert.equal(accepted([...RT, '--stale-after', '3']).staleAlertAfterMs, 10_000);
  assert.equal(accepted([...RT, '--stale-after', '20']).staleAlertAfterMs, 40_000);
  assert.equal(accepted([...RT, '--stale-after', '20', '--stale-alert-after', '25']).staleAlertAfterMs, 25_000);
  const err = refusal([...RT, '--stale-after', '20', '--stale-alert-after', '10']);
  assert.ok(err.message.includes('--stale-alert-after') && err.message.includes('--stale-after'), err.message);
});

test('negative numbers get the flag\'s own refusal, not util.parseArgs\' "ambiguous"', async (t) => {
  for (const [flag, value] of [
    ['--cash', '-5'],
    ['--minutes', '-3'],
    ['--fee-bps', '-1'],
    ['--max-gross-exposure', '-0.5'],
    ['--slippage-bps', '-.5'],
  ] as const) {
    for (const argv of [[flag, value], [`${flag}=${value}`]]) {
      const err = refusal(argv);
      assert.ok(err.message.includes(`${flag} ${value}`), `${argv.join(' ')}: ${err.message}`);
      assert.ok(!/ambiguous/i.test(err.message), err.message);
    }
  }
  const stale = refusal([...RT, '--stale-after', '-5']);
  assert.ok(stale.message.includes('--stale-after -5'), stale.message);
  // The same through the CLI: exit 2.
  const run = await runCli(t, ['--cash', '-5']);
  assert.equal(run.code, 2);
  assert.ok(run.stderr.includes('--cash -5'), run.stderr);
  // A value that merely starts with a dash is a value too; an option name stays an option.
  assert.equal(accepted(['--out', '-runs']).out, '-runs');
  const missing = refusal(['--cash', '--quiet']);
  assert.ok(missing.message.includes('--cash'), missing.message);
});

test('flags that do not apply to the chosen --source are refused by name; flags not given are not', () => {
  const csvOnly = [
    ['--from', '2026-03-12T00:00:00Z'],
    ['--data', 'data/sample'],
    ['--file', 'BTCUSDT=x.csv'],
    ['--bar-label', 'end'],
    ['--on-bad-row', 'skip'],
    ['--max-skip-ratio', '0.5'],
    ['--date-format', 'dmy'],
  ] as const;
  for (const [flag, value] of csvOnly) {
    const err = refusal([...RT, flag, value]);
    assert.ok(err.message.includes(flag) && err.message.includes('realtime'), `${flag}: ${err.message}`);
  }
  const realtimeOnly = [
    ['--ws-url', 'ws://127.0.0.1:1'],
    ['--rest-url', 'http://127.0.0.1:1'],
    ['--stale-after', '5'],
    ['--stale-alert-after', '10'],
    ['--latency-alert-ms', '1000'],
    ['--slice-grace-ms', '1500'],
    ['--queue-size', '10'],
    ['--ping-interval', '20'],
    ['--network', 'testnet'],
    ['--max-bar-age', '3'],
  ] as const;
  for (const [flag, value] of realtimeOnly) {
    for (const source of [[], ['--source', 'csv']]) {
      const err = refusal([...source, flag, value]);
      assert.ok(err.message.includes(flag) && err.message.includes('csv'), `${flag}: ${err.message}`);
    }
  }
  // Several at once are all named.
  const both = refusal([...RT, '--on-bad-row', 'skip', '--bar-label', 'end']);
  assert.ok(both.message.includes('--on-bad-row') && both.message.includes('--bar-label'), both.message);
  accepted([...RT, '--tz', 'America/New_York', '--max-daily-loss', '500']); // the trading day of the daily loss
  // Shared flags, and the mode's own, are fine.
  accepted([
    ...RT,
    '--minutes',
    '5',
    '--interval',
    '1m',
    '--symbols',
    'BTCUSDT',
    '--strategy',
    'hold',
    '--cash',
    '1000',
    '--lot',
    'BTCUSDT=0.001',
    '--quiet',
    '--ws-url',
    'ws://127.0.0.1:1',
    '--rest-url',
    'http://127.0.0.1:1',
  ]);
  accepted([
    '--minutes',
    '5',
    '--from',
    '2026-03-12T00:00:00Z',
    '--tz',
    'UTC',
    '--bar-label',
    'end',
    '--on-bad-row',
    'skip',
    '--max-skip-ratio',
    '0.5',
    '--date-format',
    'dmy',
  ]);
});

test('--max-skip-ratio takes one form, a fraction from 0 to 1; --date-format takes dmy, mdy or ymd', () => {
  assert.equal(accepted([]).maxSkipRatio, 0.01);
  assert.equal(accepted(['--max-skip-ratio', '0.05']).maxSkipRatio, 0.05);
  assert.equal(accepted(['--max-skip-ratio', '0']).maxSkipRatio, 0);
  assert.equal(accepted(['--max-skip-ratio', '1']).maxSkipRatio, 1);
  const percent = refusal(['--max-skip-ratio', '5%']);
  assert.ok(percent.message.includes('--max-skip-ratio 5%') && percent.message.includes('0.05'), percent.message);
  for (const bad of ['5', '1.5', '-0.1', 'lots', '', '0x1']) {
    const err = refusal(['--max-skip-ratio', bad]);
    assert.ok(err.message.includes('--max-skip-ratio'), `${bad}: ${err.message}`);
  }
  assert.equal(accepted([]).dateFormat, null);
  for (const f of ['dmy', 'mdy', 'ymd'] as const) assert.equal(accepted(['--date-format', f]).dateFormat, f);
  const err = refusal(['--date-format', 'dd/mm/yyyy']);
  assert.ok(err.message.includes('--date-format dd/mm/yyyy'), err.message);
});

test('a repeated --lot for one symbol, or one file given twice for a symbol, is refused by name instead of the last or both silently winning', () => {
  const lot = refusal(['--symbols', 'SPY', '--lot', 'SPY=1', '--lot', 'spy=0.1']);
  assert.ok(lot.message.includes('--lot') && lot.message.includes('SPY'), lot.message);
  const file = refusal(['--symbols', 'SPY', '--file', 'SPY=a.csv', '--file', 'spy=a.csv']);
  assert.ok(file.message.includes('--file') && file.message.includes('a.csv'), file.message);
  assert.deepEqual(accepted(['--symbols', 'SPY', '--file', 'SPY=a.csv', '--file', 'SPY=b.csv']).files.get('SPY'), ['a.csv', 'b.csv']);
});

test('numParam takes plain decimal text only, as every other number a user types', () => {
  for (const bad of ['0x10', ' ', '', 'Infinity', '1_0', '0b1']) {
    assert.throws(
      () => numParam({ z: bad }, 'z', 1, -100, 100),
      (e: Error) => e.name === 'StrategyParamError' && e.message.includes('--param z='),
      bad,
    );
  }
  assert.equal(numParam({ z: '-1.5' }, 'z', 1, -100, 100), -1.5);
  assert.equal(numParam({ z: '2e1' }, 'z', 1, -100, 100), 20);
  assert.equal(numParam({}, 'z', 1, -100, 100), 1);
});

test('through the CLI, each new flag refusal exits 2 naming the flag, before any file is read', async (t) => {
  const cases: ReadonlyArray<readonly [readonly string[], string]> = [
    [['--minutes', '-3'], '--minutes -3'],
    [['--minutes', '99999999999'], '--minutes'],
    [['--ws-url', 'ws://127.0.0.1:1'], '--ws-url'],
    [['--queue-size', '5'], '--queue-size'],
    [['--source', 'realtime', '--bar-label', 'end'], '--bar-label'],
    [['--source', 'realtime', '--ping-interval', '100000'], '--ping-interval'],
    [['--source', 'realtime', '--stale-after', '20', '--stale-alert-after', '10'], '--stale-alert-after'],
    [['--max-skip-ratio', '2%'], '--max-skip-ratio'],
    [['--date-format', 'european'], '--date-format'],
    [['--interval', 'constructor'], '--interval constructor'],
  ];
  for (const [argv, named] of cases) {
    const run = await runCli(t, argv);
    assert.equal(run.code, 2, `${argv.join(' ')}: ${run.stderr}`);
    assert.ok(run.stderr.includes(named), `${argv.join(' ')}: ${run.stderr}`);
    assert.equal(run.eventsText, null, 'nothing was run');
  }
});

test('--network with --ws-url/--rest-url is refused: one of them would be ignored', () => {
  const err = refusal([...RT, '--network', 'testnet', '--ws-url', 'ws://127.0.0.1:1', '--rest-url', 'http://127.0.0.1:1']);
  assert.ok(err.message.includes('--network testnet') && err.message.includes('--ws-url'), err.message);
  assert.equal(accepted([...RT, '--network', 'testnet']).wsUrl, 'wss://stream.testnet.binance.vision');
});

test('--file without --symbols: the files name the symbols (the bundled SPY/QQQ are not mixed in)', () => {
  assert.deepEqual(accepted(['--file', 'btcusdt=a.csv', '--file', 'ETHUSDT=b.csv', '--file', 'BTCUSDT=c.csv']).symbols, ['BTCUSDT', 'ETHUSDT']);
  assert.deepEqual(accepted(['--file', 'SPY=a.csv', '--symbols', 'SPY,QQQ']).symbols, ['SPY', 'QQQ'], 'given, --symbols holds');
  assert.deepEqual(accepted([]).symbols, ['SPY', 'QQQ']);
  assert.match(refusal(['--file', 'nonsense']).message, /--file/);
});

test('--nats takes a nats:// or tls:// URL, only in realtime; a bad one is refused by name with its password hidden', () => {
  const rt = ['--source', 'realtime'];
  const ok = parseRunOptions([...rt, '--nats', 'nats://127.0.0.1:4222']);
  assert.ok(ok !== 'help');
  assert.equal(ok.nats, 'nats://127.0.0.1:4222');
  const none = parseRunOptions(rt);
  assert.ok(none !== 'help');
  assert.equal(none.nats, null);
  assert.throws(
    () => parseRunOptions([...rt, '--nats', 'http://u:secret@host:4222']),
    (e: Error) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /--nats http:\/\/\*\*\*@host:4222: expected a nats:\/\/ or tls:\/\/ URL/);
      assert.doesNotMatch(e.message, /secret/);
      return true;
    },
  );
  assert.throws(() => parseRunOptions([...rt, '--nats', 'not a url']), /--nats not a url: not a URL/);
  assert.throws(() => parseRunOptions(['--nats', 'nats://127.0.0.1:4222']), /--nats: only for --source realtime/);
});
