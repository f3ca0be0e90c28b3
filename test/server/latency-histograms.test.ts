/**
 * The latency histograms /metrics serves without prom-client's per-observation cost: for the same
 * values in the same order, the exposition text is byte for byte what prom-client's own Histogram
 * gives (buckets, +Inf, sum, count, per series), and so is the JSON form.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { LatencyHistograms } from '../../src/server/latency-histograms.ts';
import { LATENCY_BUCKETS_S } from '../../src/server/metrics.ts';

const SERIES = ['network', 'queue', 'slice'] as const;

test('for the same values, the same text and JSON as prom-client: bounds hit exactly, zeros, tiny values, past the last bound', async () => {
  const theirs = new Registry();
  const reference = new Histogram({ name: 'x_latency_seconds', help: 'Latency.', labelNames: ['segment'], buckets: LATENCY_BUCKETS_S, registers: [theirs] });
  for (const s of SERIES) reference.zero({ segment: s });
  const ours = new Registry();
  const histograms = new LatencyHistograms({
    name: 'x_latency_seconds',
    help: 'Latency.',
    labelName: 'segment',
    series: SERIES,
    buckets: LATENCY_BUCKETS_S,
    registry: ours,
  });

  assert.equal(await ours.metrics(), await theirs.metrics(), 'empty: every series zero');
  let seed = 11;
  const next = (): number => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const values = [0, 0.00005, 0.0001, 10, 10.5, 1e-9, 0.0049999, 0.005, 0.0050001, 2.5, 123];
  for (let i = 0; i < 5000; i++) values.push(next() < 0.5 ? next() * 0.01 : next() ** 4 * 20);
  values.forEach((v, i) => {
    const k = i % SERIES.length;
    reference.observe({ segment: SERIES[k]! }, v);
    histograms.observe(k, v);
  });
  assert.equal(await ours.metrics(), await theirs.metrics());
  assert.deepEqual(await ours.getMetricsAsJSON(), await theirs.getMetricsAsJSON());
  histograms.reset();
  reference.reset();
  for (const s of SERIES) reference.zero({ segment: s });
  assert.equal(await ours.metrics(), await theirs.metrics(), 'reset: zero again');
});
