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
      out[s] = count === 0 ? { p50: 0, p99: 0, max: 0, count: 0 } : { p50: h.percentile(50) / 1000, p99: h.percentile(99) / 1000, max: h.max / 1000, count };
    }
    return out;
  }
}

/** Round trips longer than this say nothing useful about the offset (and the request timed out long ago). */
export const MAX_SAMPLE_RTT_MS = 30_000;
/** The wall clock moved this far against the monotonic one between samples: it was stepped. */
export const WALL_STEP_MS = 1_000;
/** Clocks this far apart mean a broken answer, not an offset to correct by. */
export const MAX_OFFSET_MS = 24 * 3_600_000;

/**
 * Offset of the exchange clock from ours (server − local wall), NTP-style: from /api/v3/time
 * samples, trusting the one with the shortest round trip among the recent ones. Round trips are
 * timed on the monotonic clock: on the wall clock a step during a request gave a negative round
 * trip, which then won as "shortest" for the next eight samples (40 minutes). A sample whose round
 * trip is impossible (negative) or useless (past MAX_SAMPLE_RTT_MS) is discarded, and a wall-clock
 * step between samples discards the ones before it: they measured the offset of the old wall.
 */
export class ClockOffset {
  private samples: Array<{ offset: number; rtt: number; wallMinusMono: number }> = [];
  offsetMs = 0;

  /** Returns whether the sample was kept. */
  sample(serverTime: number, sentWall: number, sentMono: number, recvMono: number): boolean {
    const rtt = recvMono - sentMono;
    if (!Number.isFinite(serverTime) || !Number.isFinite(sentWall) || !(rtt >= 0) || rtt > MAX_SAMPLE_RTT_MS) return false;
    const offset = serverTime - (sentWall + rtt / 2);
    if (!(Math.abs(offset) <= MAX_OFFSET_MS)) return false;
    const wallMinusMono = sentWall - sentMono;
    const last = this.samples[this.samples.length - 1];
    if (last && Math.abs(wallMinusMono - last.wallMinusMono) > WALL_STEP_MS) this.samples = [];
    this.samples.push({ offset, rtt, wallMinusMono });
    if (this.samples.length > 8) this.samples.shift();
    this.offsetMs = this.samples.reduce((best, s) => (s.rtt < best.rtt ? s : best)).offset;
    return true;
  }

  get sampleCount(): number {
    return this.samples.length;
  }
}
