import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemClock, VirtualClock, MAX_TIMER_MS } from '../../src/telemetry/clock.ts';

// Node fires a setTimeout past 2^31 - 1 ms after 1 ms (with a TimeoutOverflowWarning): a server's
// huge Retry-After, a long --minutes or --ping-interval would fire at once, in a storm.
test('systemClock: a delay past 2^31 - 1 ms does not fire early (chained), and can be cleared', async () => {
  let fired = 0;
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w.name);
  };
  process.on('warning', onWarning);
  try {
    const handles = [MAX_TIMER_MS + 1, 2 ** 40, Infinity].map((ms) => systemClock.setTimer(() => fired++, ms));
    // Long enough for a 1 ms overflow timer to have fired: a real timer of 50 ms here is the
    // reference point, not time logic under test.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(fired, 0, 'no huge delay fired early');
    for (const h of handles) systemClock.clearTimer(h);
    assert.deepEqual(
      warnings.filter((w) => w === 'TimeoutOverflowWarning'),
      [],
    );
  } finally {
    process.off('warning', onWarning);
  }
});

test('systemClock: negative and NaN delays run on the next timer turn, like 0', async () => {
  const order: string[] = [];
  await new Promise<void>((resolve) => {
    systemClock.setTimer(() => order.push('negative'), -5);
    systemClock.setTimer(() => order.push('nan'), Number.NaN);
    systemClock.setTimer(() => {
      order.push('zero');
      resolve();
    }, 0);
  });
  assert.deepEqual(order, ['negative', 'nan', 'zero']);
});

test('VirtualClock: the same rules: huge delays fire only when reached, Infinity never, NaN and negative at once', () => {
  const clock = new VirtualClock();
  const fired: string[] = [];
  clock.setTimer(() => fired.push('huge'), MAX_TIMER_MS + 10);
  clock.setTimer(() => fired.push('never'), Infinity);
  clock.setTimer(() => fired.push('nan'), Number.NaN);
  clock.setTimer(() => fired.push('negative'), -1);
  clock.advance(0);
  assert.deepEqual(fired, ['nan', 'negative']);
  clock.advance(MAX_TIMER_MS);
  assert.deepEqual(fired, ['nan', 'negative']);
  clock.advance(10);
  assert.deepEqual(fired, ['nan', 'negative', 'huge']);
  clock.advance(2 ** 50);
  assert.deepEqual(fired, ['nan', 'negative', 'huge']);
  assert.equal(clock.pendingTimers, 1, 'the Infinity timer is held, never run');
});

test('VirtualClock: stepWall moves the wall clock only; the monotonic clock and timers do not move', () => {
  const clock = new VirtualClock(1_000_000);
  let fired = 0;
  clock.setTimer(() => fired++, 100);
  clock.stepWall(-60_000);
  assert.equal(clock.now(), 940_000);
  assert.equal(clock.monotonic(), 0);
  assert.equal(fired, 0);
  clock.advance(100);
  assert.equal(fired, 1);
  assert.equal(clock.now(), 940_100);
});
