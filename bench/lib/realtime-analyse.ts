/**
 * Reads a realtime run's artifacts: receive→broker latency per bar from the `latency` events, and
 * the exactly-once check from the `decision` events, streamed line by line (a 1000-symbol run
 * writes a few hundred MB of events). Percentiles are exact (nearest rank over every bar), not
 * the summary's bucketed histogram.
 *
 * receive→broker = queueMs + modelMs + brokerMs: from the socket callback that received the closed
 * kline to the paper broker done with the bar's orders. queueMs is everything before the engine
 * starts on the bar: the bar queue, the wait for the rest of its time slice (the bars of every
 * symbol sharing its openTime, decided together in --symbols order) and the cycles of the bars
 * ahead of it in that slice.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface Spread {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface RunAnalysis {
  /** Latency events of live (ws) bars, and of backfilled ones (kept out of the figures). */
  readonly wsBars: number;
  readonly backfillBars: number;
  /** Live bars in the figures below: those from `measureFrom` on. */
  readonly measuredBars: number;
  readonly receiveToBroker: Spread;
  /** Receipt → broker done without the slice wait: the queue and the cycle. */
  readonly pipeline: Spread;
  /** Receive→broker over every live bar, the warm-up ones included. */
  readonly receiveToBrokerAll: Spread;
  /** The parts: before the engine starts on the bar, and the engine's own cycle. */
  readonly queue: Spread;
  readonly cycle: Spread;
  /**
   * Server's E stamp → receipt, recvTime − eventTime: both processes read one machine's clock, so
   * this is the true figure (whole ms). The client's own networkMs adds its clock-offset estimate.
   */
  readonly network: Spread;
  /** The client's clock-offset estimate (clockOffsetMs of the last latency event); truly 0 here. */
  readonly clockOffsetMs: number;
  /**
   * queueMs split at the moment the bar's slice was released (the earliest cycle start among the
   * slice's bars): receipt → release is the bar queue plus the wait for the rest of the slice,
   * release → cycle start the wait behind the bars ahead of it in --symbols order. From recvTime, a whole-ms wall clock:
   * each value is good to about 1 ms.
   */
  readonly toRelease: Spread;
  readonly behindInSlice: Spread;
  readonly decisions: number;
  /** (symbol, openTime) pairs decided more than once, or outside the expected symbols × window. */
  readonly repeated: number;
  readonly unexpected: number;
  /** Expected pairs with no decision. */
  readonly missing: number;
}

export interface Expectation {
  readonly symbols: readonly string[];
  /** openTime of the first live bar, and how many live bars per symbol. */
  readonly firstOpenTime: number;
  readonly bars: number;
  readonly intervalMs: number;
  /** Latency figures count bars from this openTime on (the first seconds warm the JIT up). */
  readonly measureFrom: number;
}

export interface Summary {
  readonly status: string;
  readonly bars: number;
  readonly decisions: number;
  readonly skips: number;
  readonly orders: number;
  readonly fills: number;
  readonly rejects: number;
  readonly latency?: Readonly<Record<string, { p50: number; p99: number; max: number; count: number }>>;
  readonly feed?: Readonly<Record<string, number>>;
}

export function readSummary(outDir: string): Summary {
  return JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as Summary;
}

/** Nearest rank over a sorted copy. */
export function spread(values: Float64Array): Spread {
  if (values.length === 0) return { p50: NaN, p99: NaN, max: NaN };
  const s = Float64Array.from(values).sort();
  const rank = (p: number): number => s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
  return { p50: rank(50), p99: rank(99), max: s[s.length - 1]! };
}

class Column {
  private data = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }

  values(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

interface LatencyLine {
  readonly source: string;
  readonly openTime: number;
  readonly eventTime: number;
  readonly recvTime: number;
  readonly clockOffsetMs: number;
  readonly queueMs: number;
  /** Waiting for the rest of the slice and the bars ahead of it (split out of queueMs since). */
  readonly sliceMs?: number;
  readonly modelMs: number;
  readonly brokerMs: number;
}

interface DecisionLine {
  readonly symbol: string;
  readonly openTime: number;
}

export async function analyseRun(outDir: string, expect: Expectation): Promise<RunAnalysis> {
  const r2b = new Column();
  const pipeline = new Column();
  const r2bAll = new Column();
  const queue = new Column();
  const cycle = new Column();
  const network = new Column();
  const openTimes = new Column();
  const starts = new Column();
  let backfillBars = 0;
  let clockOffsetMs = NaN;
  const symbolIndex = new Map(expect.symbols.map((s, i) => [s, i]));
  // One count per expected (symbol, bar): a byte each, 1 MB at 1000 symbols × 1000 bars.
  const seen = new Uint8Array(expect.symbols.length * expect.bars);
  let decisions = 0;
  let repeated = 0;
  let unexpected = 0;
  const lines = createInterface({ input: createReadStream(join(outDir, 'events.ndjson'), { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  for await (const line of lines) {
    // Every line starts {"seq":N,"type":"...": look at the type before parsing anything.
    const typeAt = line.indexOf(',"type":"') + 9;
    if (line.startsWith('latency"', typeAt)) {
      const e = JSON.parse(line) as LatencyLine;
      if (e.source !== 'ws') {
        backfillBars++;
        continue;
      }
      // Everything from receipt to the cycle's start: the queue, then the slice wait.
      const waited = e.queueMs + (e.sliceMs ?? 0);
      r2bAll.push(waited + e.modelMs + e.brokerMs);
      clockOffsetMs = e.clockOffsetMs;
      if (e.openTime < expect.measureFrom) continue;
      r2b.push(waited + e.modelMs + e.brokerMs);
      pipeline.push(e.queueMs + e.modelMs + e.brokerMs);
      queue.push(waited);
      cycle.push(e.modelMs + e.brokerMs);
      network.push(e.recvTime - e.eventTime);
      openTimes.push(e.openTime);
      starts.push(e.recvTime + waited);
    } else if (line.startsWith('decision"', typeAt)) {
      const e = JSON.parse(line) as DecisionLine;
      decisions++;
      const s = symbolIndex.get(e.symbol);
      const bar = (e.openTime - expect.firstOpenTime) / expect.intervalMs;
      if (s === undefined || !Number.isInteger(bar) || bar < 0 || bar >= expect.bars) {
        unexpected++;
        continue;
      }
      const at = s * expect.bars + bar;
      if (seen[at]! > 0) repeated++;
      else seen[at] = 1;
    }
  }
  const { toRelease, behindInSlice } = splitQueue(openTimes.values(), starts.values(), queue.values());
  let missing = 0;
  for (const v of seen) if (v === 0) missing++;
  return {
    wsBars: r2bAll.length,
    backfillBars,
    measuredBars: r2b.length,
    receiveToBroker: spread(r2b.values()),
    receiveToBrokerAll: spread(r2bAll.values()),
    pipeline: spread(pipeline.values()),
    queue: spread(queue.values()),
    cycle: spread(cycle.values()),
    network: spread(network.values()),
    clockOffsetMs,
    toRelease,
    behindInSlice,
    decisions,
    repeated,
    unexpected,
    missing,
  };
}

function splitQueue(openTimes: Float64Array, starts: Float64Array, queueMs: Float64Array): { toRelease: Spread; behindInSlice: Spread } {
  const release = new Map<number, number>();
  for (let i = 0; i < openTimes.length; i++) {
    const t = openTimes[i]!;
    const at = release.get(t);
    if (at === undefined || starts[i]! < at) release.set(t, starts[i]!);
  }
  const wait = new Float64Array(openTimes.length);
  const behind = new Float64Array(openTimes.length);
  for (let i = 0; i < openTimes.length; i++) {
    const b = Math.max(0, starts[i]! - release.get(openTimes[i]!)!);
    behind[i] = b;
    wait[i] = Math.max(0, queueMs[i]! - b);
  }
  return { toRelease: spread(wait), behindInSlice: spread(behind) };
}
