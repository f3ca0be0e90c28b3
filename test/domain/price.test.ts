import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatMoney,
  formatMoneyFixed,
  formatPrice,
  isPriceOutOfRange,
  MAX_PRICE_TEXT,
  parseMoney,
  parsePrice,
  parsePriceRange,
} from '../../src/domain/price.ts';

test('prices parse from text into integer ticks of 1e-8, never through a float', () => {
  assert.equal(parsePrice('670.63'), 67_063_000_000);
  assert.equal(parsePrice('46692.06000000'), 4_669_206_000_000);
  assert.equal(parsePrice('0.00000001'), 1);
  assert.equal(parsePrice('3'), 300_000_000);
  assert.equal(parsePrice(' 12.5 '), 1_250_000_000);
  assert.equal(parsePrice('1e-5'), 1000);
  assert.equal(parsePrice('2.5E+2'), 25_000_000_000);
  assert.equal(parsePrice('-1.5'), -150_000_000);
  // float32 artefacts: digits past the 8th decimal round half away from zero
  assert.equal(parsePrice('670.6300048828125'), 67_063_000_488);
  assert.equal(parsePrice('0.000000015'), 2);
  assert.equal(parsePrice('0.000000014999'), 1);
  // 0.1 + 0.2 style drift cannot happen: the same text always gives the same integer
  assert.equal(parsePrice('0.3'), parsePrice('0.1') + parsePrice('0.2'));
});

test('anything that is not a decimal number is NaN, so the caller can name the field', () => {
  for (const bad of ['', ' ', 'abc', '12abc', '1.2.3', '--1', 'NaN', 'Infinity', '.', '1e', '1,5', '999999999999']) {
    assert.ok(Number.isNaN(parsePrice(bad)), bad);
  }
});

test('parsePriceRange reads a field in place', () => {
  const row = '2026-03-12T13:30:00Z,670.63,671.1';
  assert.equal(parsePriceRange(row, 21, 27), 67_063_000_000);
  assert.equal(parsePriceRange(row, 28, row.length), 67_110_000_000);
});

test('formatting is the shortest exact decimal and round-trips', () => {
  assert.equal(formatPrice(67_063_000_000), '670.63');
  assert.equal(formatPrice(300_000_000), '3');
  assert.equal(formatPrice(1), '0.00000001');
  assert.equal(formatPrice(-150_000_000), '-1.5');
  assert.equal(formatPrice(1_000_000_000_000), '10000');
  for (let t = 1; t < 5_000_000_000_000; t = Math.floor(t * 1.37) + 7) assert.equal(parsePrice(formatPrice(t)), t);
});

test('money beyond 2^53 stays exact as bigint', () => {
  const big = 12_345_678_901_234_567_891n;
  assert.equal(formatMoney(big), '123456789012.34567891');
  assert.equal(formatMoney(-big), '-123456789012.34567891');
  assert.equal(formatMoney(0n), '0');
  assert.equal(formatMoneyFixed(10_050_000_000n, 2), '100.50');
  assert.equal(formatMoneyFixed(-123_456n, 2), '0.00'); // no negative zero
  assert.equal(parseMoney('100000'), 10_000_000_000_000n);
  assert.equal(parseMoney('2500.50'), 250_050_000_000n);
  assert.equal(parseMoney('1.123456789'), null);
  assert.equal(parseMoney('-5'), null);
});

test('an exponent that cannot give a price in range is refused at once, without a BigInt power (no throw, no CPU burn)', () => {
  // 10n ** 2000000000n throws a RangeError; 10n ** 50000000n takes seconds. Neither may be computed.
  for (const text of ['1e2000000000', '1e50000000', '-1e2000000000', '1e99999999999999999999', `1e${'9'.repeat(400)}`, '0.1e9', '9.0000001e7']) {
    assert.ok(Number.isNaN(parsePrice(text)), text);
    assert.equal(isPriceOutOfRange(text), true, `${text} is out of range, not "not a number"`);
  }
  // Tiny exponents round to zero ticks (the caller refuses zero as non-positive), also at once.
  assert.equal(parsePrice('1e-2000000000'), 0);
  assert.equal(parsePrice('1e-50000000'), 0);
  assert.equal(parsePrice(`1e-${'9'.repeat(400)}`), 0);
  // Exponents in range keep the parser's one rounding rule (half away from zero at the 8th decimal).
  assert.equal(parsePrice('9e7'), 9_000_000_000_000_000);
  assert.equal(parsePrice('1.5e-8'), 2);
  assert.equal(parsePrice('1.49e-8'), 1);
  assert.equal(parsePrice('5e-9'), 1);
  assert.equal(parsePrice('4.9e-9'), 0);
  assert.equal(parsePrice('0.00067063e6'), 67_063_000_000);
  assert.equal(parsePrice('67063e-2'), 67_063_000_000);
  assert.equal(parsePrice(`${'0'.repeat(300)}1e-8`), 1);
  assert.equal(parsePrice('-2.5e1'), -2_500_000_000);
});

test('a price above the largest supported one (90,000,000) is NaN for the hot path, and told apart from "not a number"', () => {
  assert.equal(MAX_PRICE_TEXT, '90000000');
  assert.equal(parsePrice('90000000'), 9_000_000_000_000_000);
  // The README says 90,000,000 is the largest: anything past it, by a tick, is out of range.
  for (const text of [
    '90000000.99999999',
    '90000000.00000001',
    '90000000.000000005',
    '90000001',
    '100000000',
    ' 123456789012.5 ',
    '999999999999',
    '-90000001',
    '1e8',
  ]) {
    assert.ok(Number.isNaN(parsePrice(text)), text);
    assert.equal(isPriceOutOfRange(text), true, text);
  }
  for (const text of ['', ' ', 'abc', '12abc', '1.2.3', '--1', 'NaN', 'Infinity', '.', '1e', '1,5', '0x1F', '1_000', '1e5e5']) {
    assert.equal(isPriceOutOfRange(text), false, `${JSON.stringify(text)} is not a number at all`);
  }
  // In place, like parsePriceRange.
  const row = 'x,123456789,1';
  assert.equal(isPriceOutOfRange(row, 2, 11), true);
  assert.equal(isPriceOutOfRange(row, 12, 13), false);
});
