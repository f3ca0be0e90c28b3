import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClockOffset, MAX_SAMPLE_RTT_MS } from '../../src/telemetry/latency.ts';
import { bar, FakeBinance } from '../helpers/fake-binance.ts';
import { startRealtime } from '../helpers/realtime-harness.ts';

test('ClockOffset: the shortest round trip wins; impossible and useless round trips are discarded', () => {
  const o = new ClockOffset();
  // Local wall 1_000_000 at monotonic 0; the server is 250 ms ahead.
  assert.equal(o.sample(1_000_250 + 20, 1_000_000, 0, 40), true); // rtt 40
  assert.equal(o.offsetMs, 250);
  assert.equal(o.sample(1_000_250 + 1_005, 1_001_000, 1_000, 1_010), true); // rtt 10: better
  assert.equal(o.offsetMs, 250);
  assert.equal(o.sample(5_000_000, 1_002_000, 2_000, 1_990), false, 'a negative round trip is impossible');
  assert.equal(o.sample(5_000_000, 1_003_000, 3_000, 3_000 + MAX_SAMPLE_RTT_MS + 1), false, 'a round trip past the limit says nothing');
  assert.equal(o.sample(Number.NaN, 1_004_000, 4_000, 4_010), false);
  assert.equal(o.sample(1_005_000 + 400 * 86_400_000, 1_005_000, 5_000, 5_010), false, 'a year apart is a broken answer');
  assert.equal(o.offsetMs, 250);
  assert.equal(o.sampleCount, 2);
});

test('ClockOffset: a wall-clock step between samples drops the samples measured against the old wall', () => {
  const o = new ClockOffset();
  o.sample(1_000_250 + 5, 1_000_000, 0, 10); // rtt 10, offset 250
  // The wall is stepped back a minute: the server now leads our wall by 60.25 s. Its round trip
  // is longer, so without the step rule the old sample would keep winning.
  o.sample(1_000_250 + 1_000 + 20, 1_000_000 - 60_000 + 1_000, 1_000, 1_040);
  assert.equal(o.offsetMs, 60_250);
  assert.equal(o.sampleCount, 1);
});

test('a wall-clock step in the middle of the start-up time samples does not skew the network latency', async () => {
  const fake = await FakeBinance.start(['BTCUSDT']);
  let requests = 0;
  let stepped = false;
  let step: (() => void) | null = null;
  fake.onTime = () => {
    // The second request (the first sample after the warm-up request) straddles a step back.
    if (++requests === 2 && step) {
      step();
      stepped = true;
    }
    return undefined;
  };
  const harness = startRealtime({
    wsUrl: fake.wsUrl,
    restUrl: fake.restUrl,
    args: ['--symbols', 'BTCUSDT'],
    onClock: (clock) => (step = () => clock.stepWall(-60_000)),
  });
  const run = await harness;
  try {
    assert.ok(stepped, 'the step happened during a time request');
    await fake.waitForConnections(1);
    fake.sendKline(bar('BTCUSDT', 0, 100), true);
    await run.waitFor('latency event', (r) => r.of('latency').length === 1);
    const l = run.of('latency')[0]!;
    // E is the real clock; our wall is a minute behind it, which the offset must correct for.
    assert.ok(Math.abs(Number(l.networkMs)) < 5_000, `network ${String(l.networkMs)} ms, offset ${String(l.clockOffsetMs)} ms`);
  } finally {
    await run.stop();
    await fake.close();
  }
});
