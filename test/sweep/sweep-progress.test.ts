/** The sweep's progress bar: drawn at most four times a second, always at the last run, erased at the end. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SweepProgress } from '../../src/sweep/sweep-progress.ts';
import { VirtualClock } from '../../src/telemetry/clock.ts';

test('runs done, failures, runs/s and the time left; redrawn at most every 250 ms and at the last run', () => {
  const clock = new VirtualClock();
  const drawn: string[] = [];
  const bar = new SweepProgress(4, (text) => drawn.push(text), clock);
  clock.advance(500);
  bar.ran(false);
  assert.equal(drawn.length, 1);
  assert.equal(drawn[0], `\r  [${'#'.repeat(6)}${'-'.repeat(18)}]  25.0%  1/4 runs  2.0 runs/s  ETA 0:02\x1b[K`);
  clock.advance(100);
  bar.ran(true);
  assert.equal(drawn.length, 1, 'not within a quarter second');
  clock.advance(400);
  bar.ran(false);
  assert.match(drawn[1]!, /\] +75\.0% {2}3\/4 runs {2}1 failed {2}3\.0 runs\/s {2}ETA 0:00/);
  bar.ran(false);
  assert.match(drawn[2]!, /\[#{24}\] 100\.0% {2}4\/4 runs {2}1 failed/, 'the last run is always drawn');
  bar.finish();
  assert.equal(drawn[3], '\r\x1b[K');
});

test('nothing drawn, nothing erased', () => {
  const drawn: string[] = [];
  new SweepProgress(3, (text) => drawn.push(text), new VirtualClock()).finish();
  assert.deepEqual(drawn, []);
});
