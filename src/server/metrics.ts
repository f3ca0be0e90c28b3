/**
 * Prometheus metrics of one session, on a Registry of its own (several sessions in one process,
 * as in tests, never collide). Counts come from the session's EventCounter and its status() at
 * scrape time, so nothing here runs per bar but the latency histograms, fed by `latency` events
 * (one a bar, realtime only; backfilled bars are left out, as in the summary). In realtime this
 * sink is one of the bus's recorders, so it hears a turn's events at its end: seven observations a
 * bar took ~2.5 µs through prom-client (each hashes its labels), which every later bar of a
 * 1,000-symbol slice waited for when they ran as each bar was decided; they are now counted in flat
 * arrays (latency-histograms.ts), ~0.1 µs. Names carry the
 * `tradeloop_` prefix, counters end in `_total`, times are in seconds. The process's default
 * metrics (process_*, nodejs_*) keep their standard names so that stock dashboards read them.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { LatencyHistograms } from './latency-histograms.ts';
import type { EventSink } from '../events/event-bus.ts';
import { ALERT_KINDS, CANCEL_REASONS, FEED_STATES, HALT_REASONS, REJECT_REASONS, SKIP_REASONS, TRADING_STATES } from '../events/reasons.ts';
import type { TradeEvent } from '../events/types.ts';
import type { SessionStatus } from '../session/status.ts';

/** 0.05 ms to 10 s: a cycle's model segment is tens of µs, a stalled network segment seconds. */
export const LATENCY_BUCKETS_S = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LATENCY_SEGMENTS = ['network', 'queue', 'slice', 'model', 'broker', 'pipeline', 'total'] as const;

/** What the metrics read at scrape time; every provider but status is optional. */
export interface MetricsSources {
  status(): SessionStatus;
  /** Events by type, and the reasons of rejects, cancels, skips, halts and alerts (the EventCounter). */
  counts: { of(type: TradeEvent['type']): number; byReason(type: 'reject' | 'skip' | 'cancel' | 'halt' | 'alert'): Record<string, number> };
  /** The newest feed event's state, for a session whose status() does not carry the feed yet. */
  feedState(): string | null;
  drawdown(): number;
  webhooks?(): Readonly<Record<string, number>> | null;
  /** The summary's feed counters (messages, backfills, connects, …) and how many connections the feed keeps. */
  feedCounters?(): Readonly<Record<string, number>> | null;
  queueDepth?(): number | null;
}

type Labels = Record<string, string>;

export class SessionMetrics implements EventSink {
  readonly registry = new Registry();
  private readonly latency: LatencyHistograms;
  /** status() once per scrape, however many gauges read it. */
  private snapshot: SessionStatus | null = null;
  private readonly sources: MetricsSources;

  constructor(sources: MetricsSources, info: { runId: string; mode: string }) {
    const r = this.registry;
    const src: MetricsSources = {
      status: () => this.snapshot ?? sources.status(),
      counts: sources.counts,
      feedState: () => sources.feedState(),
      drawdown: () => sources.drawdown(),
      webhooks: () => sources.webhooks?.() ?? null,
      feedCounters: () => sources.feedCounters?.() ?? null,
      queueDepth: () => sources.queueDepth?.() ?? null,
    };
    this.sources = sources;
    collectDefaultMetrics({ register: r });
    const counter = (name: string, help: string, labelNames: string[], read: () => Array<[Labels, number]>): void => {
      new Counter({
        name,
        help,
        labelNames,
        registers: [r],
        collect(this: Counter<string>) {
          this.reset();
          for (const [labels, v] of read()) this.inc(labels, v);
        },
      });
    };
    const gauge = (name: string, help: string, labelNames: string[], read: () => Array<[Labels, number]>): void => {
      new Gauge({
        name,
        help,
        labelNames,
        registers: [r],
        collect(this: Gauge<string>) {
          this.reset();
          for (const [labels, v] of read()) this.set(labels, v);
        },
      });
    };
    const byReason = (type: 'reject' | 'skip' | 'cancel' | 'halt' | 'alert', label: string, known: readonly string[]) => (): Array<[Labels, number]> => {
      const counts = src.counts.byReason(type);
      // Every known reason is written, 0 included, so that rate() sees a series from the start.
      return [...new Set([...known, ...Object.keys(counts)])].map((k) => [{ [label]: k }, counts[k] ?? 0]);
    };
    gauge('tradeloop_info', 'The session: its run id and mode (always 1).', ['run_id', 'mode'], () => [[{ run_id: info.runId, mode: info.mode }, 1]]);
    for (const type of ['bar', 'decision', 'order', 'fill'] as const) {
      counter(`tradeloop_${type}s_total`, `${type} events so far.`, [], () => [[{}, src.counts.of(type)]]);
    }
    counter('tradeloop_rejects_total', 'Orders refused, by reason.', ['reason'], byReason('reject', 'reason', REJECT_REASONS));
    counter('tradeloop_cancels_total', 'Resting orders taken off the book, by reason.', ['reason'], byReason('cancel', 'reason', CANCEL_REASONS));
    counter('tradeloop_skips_total', 'Input rows or messages skipped, by reason.', ['reason'], byReason('skip', 'reason', SKIP_REASONS));
    counter('tradeloop_halts_total', 'Halts raised, by reason.', ['reason'], byReason('halt', 'reason', HALT_REASONS));
    counter('tradeloop_alerts_total', 'Alerts, by kind.', ['kind'], byReason('alert', 'kind', ALERT_KINDS));
    gauge('tradeloop_trading_state', 'The trading state: 1 for the current one, 0 for the others.', ['state'], () => {
      const s = src.status().state;
      return TRADING_STATES.map((t) => [{ state: t }, t === s ? 1 : 0]);
    });
    gauge('tradeloop_halt_held', 'Halts held now (1 each), by reason, source and severity.', ['reason', 'source', 'severity'], () =>
      src.status().halts.map((h) => [{ reason: h.reason, source: h.source, severity: h.severity }, 1]),
    );
    // A session of a fleet (--nats) only: none of these series exist for a session on its own.
    gauge(
      'tradeloop_fleet_halt',
      "The fleet's halt state as this session applied it: 1 for the current one (halted, reducing, resumed).",
      ['fleet', 'state'],
      () => {
        const f = src.status().fleet;
        return f ? (['halted', 'reducing', 'resumed'] as const).map((t) => [{ fleet: f.name, state: t }, t === (f.state ?? 'resumed') ? 1 : 0]) : [];
      },
    );
    gauge('tradeloop_fleet_connected', "Whether the session is connected to the fleet's nats-server (1) or not (0).", ['fleet'], () => {
      const f = src.status().fleet;
      return f ? [[{ fleet: f.name }, f.connected ? 1 : 0]] : [];
    });
    counter('tradeloop_fleet_commands_total', 'Fleet commands applied (halt and resume changes, flattens).', ['fleet'], () => {
      const f = src.status().fleet;
      return f ? [[{ fleet: f.name }, f.applied]] : [];
    });
    counter('tradeloop_fleet_refused_total', 'Fleet control messages refused: no or a wrong fleet token, another fleet, a replay.', ['fleet'], () => {
      const f = src.status().fleet;
      return f ? [[{ fleet: f.name }, f.refused]] : [];
    });
    gauge('tradeloop_feed_state', 'The feed state: 1 for the current one (realtime).', ['state'], () => {
      if (info.mode !== 'realtime') return [];
      const s = src.status().feed?.state ?? src.feedState();
      return FEED_STATES.map((t) => [{ state: t }, t === s ? 1 : 0]);
    });
    gauge('tradeloop_feed_last_message_age_seconds', "Seconds since each connection's last message.", ['connection'], () =>
      (src.status().feed?.connections ?? [])
        .filter((c) => c.lastMessageAgoSeconds !== null)
        .map((c) => [{ connection: String(c.id) }, c.lastMessageAgoSeconds!]),
    );
    gauge('tradeloop_feed_connection_stale', 'Whether each connection is stale (1) or fresh (0).', ['connection'], () =>
      (src.status().feed?.connections ?? []).map((c) => [{ connection: String(c.id) }, c.stale ? 1 : 0]),
    );
    // A session on the fleet's stream (--source nats): how far behind the stream it reads, and when a publisher was last heard.
    const stream = () => src.status().feed?.stream;
    gauge('tradeloop_stream_lag_messages', "Messages of the session's interval the stream held past the last one read (nats).", ['stream'], () => {
      const s = stream();
      return s ? [[{ stream: s.name }, s.lag]] : [];
    });
    gauge('tradeloop_stream_read_sequence', 'The stream sequence of the last message read (nats).', ['stream'], () => {
      const s = stream();
      return s && s.readThrough !== null ? [[{ stream: s.name }, s.readThrough]] : [];
    });
    gauge('tradeloop_publisher_heartbeat_age_seconds', "Seconds since a publisher's last heartbeat was heard (nats).", ['stream'], () => {
      const s = stream();
      return s && s.heartbeatAgeSeconds !== null ? [[{ stream: s.name }, s.heartbeatAgeSeconds]] : [];
    });
    gauge('tradeloop_stream_publishers', 'Publishers heard by their heartbeats since the session started (nats).', ['stream'], () => {
      const s = stream();
      return s ? [[{ stream: s.name }, s.publishers]] : [];
    });
    const feed = (key: string): number | null => src.feedCounters?.()?.[key] ?? null;
    const feedCounter = (name: string, help: string, read: () => number | null): void =>
      counter(name, help, [], () => {
        const v = read();
        return v === null ? [] : [[{}, Math.max(0, v)]];
      });
    feedCounter('tradeloop_feed_messages_total', 'WebSocket messages received.', () => feed('messages'));
    feedCounter('tradeloop_feed_malformed_total', 'Messages that could not be read (also in skips).', () => feed('malformed'));
    feedCounter('tradeloop_feed_connects_total', 'Connections opened, the first ones included.', () => feed('connects'));
    feedCounter('tradeloop_feed_disconnects_total', 'Connections lost (closed, errored or without pong).', () => feed('disconnects'));
    feedCounter('tradeloop_feed_rotations_total', 'Planned replacements (the 24 h cut, serverShutdown, a stale connection).', () => feed('rotations'));
    feedCounter('tradeloop_feed_reconnects_total', 'Connections opened after a lost one: connects − connections − rotations.', () => {
      const c = feed('connects');
      const n = feed('connections');
      return c === null || n === null ? null : c - n - (feed('rotations') ?? 0);
    });
    feedCounter('tradeloop_feed_backfills_total', 'Gap backfills over REST.', () => feed('backfills'));
    feedCounter('tradeloop_feed_backfilled_bars_total', 'Bars delivered by backfills.', () => feed('backfilledBars'));
    feedCounter('tradeloop_feed_backfill_failures_total', 'Backfill requests that failed (retried).', () => feed('backfillFailures'));
    counter('tradeloop_webhook_deliveries_total', 'Alert webhook outcomes: delivered, retried, dropped, failed, suppressed (folded).', ['outcome'], () =>
      Object.entries(src.webhooks?.() ?? {}).map(([k, v]) => [{ outcome: k }, v]),
    );
    gauge('tradeloop_queue_depth', 'Closed bars waiting for the loop (realtime).', [], () => {
      const q = src.queueDepth?.();
      return q == null ? [] : [[{}, q]];
    });
    const money = (name: string, help: string, pick: (s: SessionStatus) => string): void => gauge(name, help, [], () => [[{}, Number(pick(src.status()))]]);
    money('tradeloop_equity', 'Account equity marked at the last close (quote currency).', (s) => s.equity);
    money('tradeloop_cash', 'Cash (quote currency).', (s) => s.cash);
    money('tradeloop_gross_exposure', 'Σ |position value| over symbols (quote currency).', (s) => s.grossExposure);
    gauge('tradeloop_drawdown_ratio', 'Equity below its running peak, as a fraction of the peak (0.05 = 5 %).', [], () => [[{}, src.drawdown()]]);
    // Every segment's series from the start, zero, so a dashboard's quantiles have something to read.
    this.latency = new LatencyHistograms({
      name: 'tradeloop_latency_seconds',
      help: 'Latency of live closed bars by segment: network, queue, slice, model, broker, pipeline, total.',
      labelName: 'segment',
      series: LATENCY_SEGMENTS,
      buckets: LATENCY_BUCKETS_S,
      registry: r,
    });
  }

  write(_seq: number, e: TradeEvent): void {
    if (e.type !== 'latency' || e.source !== 'ws') return;
    this.observe(0, Math.max(0, e.networkMs));
    this.observe(1, e.queueMs);
    this.observe(2, e.sliceMs);
    this.observe(3, e.modelMs);
    this.observe(4, e.brokerMs);
    this.observe(5, e.queueMs + e.modelMs + e.brokerMs);
    this.observe(6, Math.max(0, e.totalMs));
  }

  /** One segment (LATENCY_SEGMENTS' k-th) of a bar, in ms. */
  private observe(k: number, ms: number): void {
    // prom-client throws on a value that is not finite: here that would skip the bus's later sinks (the journal's commit).
    if (Number.isFinite(ms)) this.latency.observe(k, ms / 1000);
  }

  async text(): Promise<string> {
    this.snapshot = this.sources.status();
    try {
      return await this.registry.metrics();
    } finally {
      this.snapshot = null;
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
