/**
 * The loop tests build their run options as a value (test/helpers/loop-options.ts) instead of
 * parsing flags: they must still run on what the command line gives, or they would test another
 * configuration than users get.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRunOptions, type RunOptions } from '../../src/cli/run-options.ts';
import { loopOptions } from '../helpers/loop-options.ts';

const WS = 'ws://127.0.0.1:9';
const REST = 'http://127.0.0.1:9';

/** What only a parse has: the arguments themselves, and the csv data paths no realtime run reads. */
function comparable(o: RunOptions): Omit<RunOptions, 'argv' | 'dataDir' | 'files'> {
  const { argv: _argv, dataDir: _dataDir, files: _files, ...rest } = o;
  return rest;
}

test("the loop tests' default options are the command line's realtime defaults", () => {
  const parsed = parseRunOptions(['--source', 'realtime', '--ws-url', WS, '--rest-url', REST, '--out', 'o']) as RunOptions;
  assert.deepEqual(comparable(loopOptions({ wsUrl: WS, restUrl: REST, out: 'o' })), comparable(parsed));
});

test('options given as values derive what their flags derive: the stale alert from --stale-after, limits from --cash, lots', () => {
  const parsed = parseRunOptions([
    '--source',
    'realtime',
    '--ws-url',
    WS,
    '--rest-url',
    REST,
    '--symbols',
    'BTCUSDT',
    '--lot',
    'BTCUSDT=0.001',
    '--stale-after',
    '60',
    '--cash',
    '2500.5',
    '--fee-bps',
    '7.5',
  ]) as RunOptions;
  const built = loopOptions({
    wsUrl: WS,
    restUrl: REST,
    symbols: ['BTCUSDT'],
    lots: { BTCUSDT: '0.001' },
    staleAfterMs: 60_000,
    cash: 250_050_000_000n,
    feeBpsE4: 75_000n,
  });
  assert.deepEqual(comparable(built), comparable(parsed));
  assert.equal(built.staleAlertAfterMs, 120_000);
});
