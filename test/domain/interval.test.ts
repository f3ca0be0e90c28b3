import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INTERVALS, isInterval, nominalIntervalMs } from '../../src/domain/interval.ts';

test('only Binance interval names are intervals: Object.prototype names are not', () => {
  for (const name of INTERVALS) assert.ok(isInterval(name), name);
  for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '1y', '', '1H', '60s']) {
    assert.equal(isInterval(name), false, name);
  }
  assert.equal(nominalIntervalMs('1m'), 60_000);
  assert.equal(nominalIntervalMs('1M'), 30 * 86_400_000);
});
