import { test } from 'node:test';
import assert from 'node:assert/strict';
import { epochToMs, parseTimestamp, ZoneOffsets } from '../../src/domain/time.ts';
import { closeTimeOf, nextOpenTime } from '../../src/domain/interval.ts';

test('epoch units are decided per value by magnitude', () => {
  assert.equal(epochToMs(1_735_689_600), 1_735_689_600_000);
  assert.equal(epochToMs(1_735_689_600_000), 1_735_689_600_000);
  assert.equal(epochToMs(1_735_689_600_000_000), 1_735_689_600_000);
  assert.equal(epochToMs(1_735_689_600_000_000_000), 1_735_689_600_000);
});

test('zone-less times are UTC, or the named zone, whatever the machine TZ', () => {
  assert.equal(parseTimestamp('2025-01-01 03:00:00', null), Date.UTC(2025, 0, 1, 3));
  const ny = new ZoneOffsets('America/New_York');
  assert.equal(parseTimestamp('2019-02-11 09:31:00', ny), Date.UTC(2019, 1, 11, 14, 31));
  assert.equal(parseTimestamp('2026-03-12 09:30:00', ny), Date.UTC(2026, 2, 12, 13, 30)); // EDT
  assert.equal(parseTimestamp('2026-03-12 13:30:00+00:00', ny), Date.UTC(2026, 2, 12, 13, 30)); // explicit offset wins
  assert.equal(parseTimestamp('2026-03-12T09:30:00-04:00', null), Date.UTC(2026, 2, 12, 13, 30));
  assert.equal(parseTimestamp('2026-03-12T13:30:00.250Z', null), Date.UTC(2026, 2, 12, 13, 30, 0, 250));
  assert.equal(parseTimestamp('2024-02-29', null), Date.UTC(2024, 1, 29));
});

test('DST edges: a repeated wall time is the earlier instant, a missing one shifts forward by the gap', () => {
  const ny = new ZoneOffsets('America/New_York');
  // 2026-03-08 02:30 does not exist in New York; 2026-11-01 01:30 happens twice.
  assert.equal(parseTimestamp('2026-03-08 01:59:00', ny), Date.UTC(2026, 2, 8, 6, 59));
  assert.equal(parseTimestamp('2026-03-08 02:30:00', ny), Date.UTC(2026, 2, 8, 7, 30));
  assert.equal(parseTimestamp('2026-03-08 03:00:00', ny), Date.UTC(2026, 2, 8, 7, 0));
  assert.equal(parseTimestamp('2026-11-01 01:30:00', ny), Date.UTC(2026, 10, 1, 5, 30));
  assert.equal(parseTimestamp('2026-11-01 02:30:00', ny), Date.UTC(2026, 10, 1, 7, 30));
  // Adelaide leaves daylight time on 2026-04-05 at 03:00 local (16:30Z the day before): a half-hour boundary.
  const adl = new ZoneOffsets('Australia/Adelaide');
  assert.equal(parseTimestamp('2026-04-05 02:45:00', adl), Date.UTC(2026, 3, 4, 16, 15));
  assert.equal(parseTimestamp('2026-04-05 03:15:00', adl), Date.UTC(2026, 3, 4, 17, 45));
  assert.equal(adl.offsetAt(Date.UTC(2026, 3, 4, 16, 29)), 10.5 * 3_600_000);
  assert.equal(adl.offsetAt(Date.UTC(2026, 3, 4, 16, 30)), 9.5 * 3_600_000);
});

test('bad timestamps are NaN', () => {
  for (const bad of ['2025-02-30 00:00:00', '2025-13-01', '2025-01-01 24:00:00', 'yesterday', '2025-01-01X00:00', '2025-01-01T00:00:00+5']) {
    assert.ok(Number.isNaN(parseTimestamp(bad, null)), bad);
  }
});

test('closeTime is next openTime - 1; months have no fixed length', () => {
  assert.equal(closeTimeOf('1m', 0), 59_999);
  assert.equal(nextOpenTime('1M', Date.UTC(2024, 1, 1)), Date.UTC(2024, 2, 1));
  assert.equal(nextOpenTime('1M', Date.UTC(2025, 1, 1)), Date.UTC(2025, 2, 1));
});

test('a zone offset must be a real one: within ±14:00, minutes below 60', () => {
  const at = Date.UTC(2026, 2, 12, 13, 30);
  assert.equal(parseTimestamp('2026-03-12T13:30:00+14:00', null), at - 14 * 3_600_000);
  assert.equal(parseTimestamp('2026-03-12T13:30:00-12:00', null), at + 12 * 3_600_000);
  assert.equal(parseTimestamp('2026-03-12T13:30:00+05:45', null), at - (5 * 60 + 45) * 60_000);
  assert.equal(parseTimestamp('2026-03-12T13:30:00-0930', null), at + (9 * 60 + 30) * 60_000);
  assert.equal(parseTimestamp('2026-03-12T13:30:00-14:00', null), at + 14 * 3_600_000);
  for (const bad of ['+99:99', '+14:01', '+14:30', '-15:00', '+05:60', '+0099', '-2400', '+00:75']) {
    assert.ok(Number.isNaN(parseTimestamp(`2026-03-12T13:30:00${bad}`, null)), bad);
  }
});

test('an epoch number is a whole-ms instant that a Date can hold, or not a time at all', () => {
  assert.equal(parseTimestamp('1735689600.5', null), 1_735_689_600_500);
  assert.equal(parseTimestamp('1735689600000.75', null), 1_735_689_600_000, 'sub-ms digits are cut, as in ISO text');
  assert.ok(Number.isInteger(parseTimestamp('1735689600123.999', null)));
  for (const bad of ['9'.repeat(30), '9'.repeat(400), `1${'0'.repeat(25)}`, `-${'9'.repeat(30)}`]) {
    assert.ok(Number.isNaN(parseTimestamp(bad, null)), bad);
  }
});

test('a four-digit year below 100 is that year, not 19xx (Date.UTC would read 0050 as 1950)', () => {
  for (const text of ['0050-01-01 00:00:00', '0050-01-01T00:00:00Z']) {
    assert.equal(new Date(parseTimestamp(text, null)).toISOString(), '0050-01-01T00:00:00.000Z', text);
  }
  assert.equal(new Date(parseTimestamp('01/02/0099 10:00', null, 'dmy')).toISOString(), '0099-02-01T10:00:00.000Z');
});
