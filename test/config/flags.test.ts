import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlagError, readFlag, readFlags } from '../../src/config/flags.ts';

test('FLAG values: trimmed, case-insensitive, empty counts as unset, both default off', () => {
  for (const on of ['1', 'true', 'YES', ' on ', 'True']) assert.equal(readFlag({ FLAG_REALTIME: on }, 'FLAG_REALTIME'), true, on);
  for (const off of ['0', 'false', 'No', 'OFF', '', '   ']) assert.equal(readFlag({ FLAG_REALTIME: off }, 'FLAG_REALTIME'), false, off);
  assert.deepEqual(readFlags({}), { realtime: false, tradingHalted: false });
});

test('anything else stops the program with a message naming the flag and the valid values', () => {
  for (const bad of ['2', 'maybe', 'halt', 'y']) {
    assert.throws(
      () => readFlags({ FLAG_TRADING_HALTED: bad }),
      (err: unknown) => err instanceof FlagError && err.message.includes('FLAG_TRADING_HALTED') && err.message.includes('1, true, yes or on'),
    );
  }
});
