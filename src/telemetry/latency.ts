/**
 * Latency telemetry for closed bars: feed (exchange event time E) → receipt → strategy done →
 * broker done. In-process segments use the monotonic clock; the network segment uses the wall
 * clock corrected by the estimated offset to the exchange's clock. Percentiles come from
 * fixed-bucket histograms (perf_hooks), so memory stays flat over days. Backfilled bars are
 * marked and kept out of percentiles and alerts: their "latency" is the gap, not the pipeline.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

/**
 * network: exchange event → receipt; queue: receipt → taken by the loop; slice: waiting for the
 * rest of the slice and for the bars ahead of it; model, broker: the cycle itself; pipeline: queue
 * + model + broker (receipt → broker done, the slice wait excepted); total: network + everything.
 */
export const SEGMENTS = ['network', 'queue', 'slice', 'model', 'broker', 'pipeline', 'total'] as const;
export type Segment = (typeof SEGMENTS)[number];

export class LatencyStats {
  private readonly histograms = new Map<Segment, RecordableHistogram>();

  constructor() {
    for (const s of SEGMENTS) this.histograms.set(s, createHistogram());
  }

  record(segment: Segment, ms: number): void {
    // Histograms take positive integers: record microseconds, at least 1.
    this.histograms.get(segment)!.record(Math.max(1, Math.round(ms * 1000)));
  }

  /** p99 per segment in ms, for status lines; null before any bar. */
  p99(): Record<string, number> | null {
    if (this.histograms.get('total')!.count === 0) return null;
    const out: Record<string, number> = {};
    for (const s of SEGMENTS) out[s] = this.histograms.get(s)!.percentile(99) / 1000;
    return out;
  }

  summary(): Record<string, { p50: number; p99: number; max: number; count: number }> {
    const out: Record<string, { p50: number; p99: number; max: number; count: number }> = {};
    for (const s of SEGMENTS) {
      const h = this.histograms.get(s)!;
      const count = h.count;
      out[s] = count === 0
        ? { p50: 0, p99: 0, max: 0, count: 0 }
        : { p50: h.percentile(50) / 1000, p99: h.percentile(99) / 1000, max: h.max / 1000, count };
    }
    return out;
  }
}

/**
 * Offset of the exchange clock from ours (server − local), NTP-style: from /api/v3/time samples,
 * trusting the one with the shortest round trip among the recent ones.
 */
export class ClockOffset {
  private samples: Array<{ offset: number; rtt: number }> = [];
  offsetMs = 0;

  sample(serverTime: number, sentAt: number, receivedAt: number): void {
    const rtt = receivedAt - sentAt;
    this.samples.push({ offset: serverTime - (sentAt + receivedAt) / 2, rtt });
    if (this.samples.length > 8) this.samples.shift();
    this.offsetMs = this.samples.reduce((best, s) => (s.rtt < best.rtt ? s : best)).offset;
  }
}
