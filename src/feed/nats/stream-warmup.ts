/**
 * A session's warm-up from the fleet's stream, read by time: the newest `warmup` closed bars of
 * each of its symbols, from an ordered consumer on `tradeloop.bars.<interval>.>` (the one filter
 * subject nats-server 2.9 takes) that starts some time before each symbol's last message and reads
 * to the stream's end, keeping the session's symbols only.
 *
 * Where to start: a bar is stored when its publisher published it, never before it closed, so a
 * bar `k` intervals before a symbol's newest was stored at least about k intervals before that
 * newest one was, unless it came later (a publisher's history, published in one go on its start:
 * stored later, read all the same). A window of warmup + 2 intervals before the oldest of the
 * symbols' last messages therefore holds their warm-up; when it does not (a publisher that was
 * away, then published a gap's bars only later), the window widens fourfold and the read starts
 * again, until each symbol has its bars or the read starts at the stream's first message.
 *
 * Every message of the stream is a closed bar. A bar not closed by `closedBy` (the session's
 * clock behind the exchange's) is left out of the warm-up, and the live feed reads from it.
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { nominalIntervalMs } from '../../domain/interval.ts';
import type { Bar } from '../../domain/types.ts';
import { barOf, barSubject, decodeBarMessage, intervalSubjects, SUBJECT_ROOT } from '../../fleet/bar-message.ts';

export interface StreamWarmupQuery {
  readonly stream: string;
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly warmup: number;
  /** The session's time now: a bar closing after it is not history yet. */
  readonly closedBy: number;
}

export type StreamWarmup =
  | {
      readonly ok: true;
      readonly bars: Map<string, Bar[]>;
      readonly lastClosed: Map<string, number>;
      /** The warm-up holds every bar of the symbols up to this sequence: the live feed reads on after it. */
      readonly cursor: number;
    }
  /** A symbol with no bar in the stream at all. */
  | { readonly ok: false; readonly missing: string };

/** Messages fetched at a time; a fetch that brings nothing for this long means the stream has no more. */
const BATCH = 1000;
const EXPIRES_MS = 2_000;

export async function readStreamWarmup(js: JetStreamClient, jsm: JetStreamManager, q: StreamWarmupQuery): Promise<StreamWarmup> {
  const info = await jsm.streams.info(q.stream);
  const end = info.state.last_seq;
  const firstStored = Date.parse(info.state.first_ts);
  let oldestLast = Infinity;
  for (const symbol of q.symbols) {
    const last = await jsm.streams.getMessage(q.stream, { last_by_subj: barSubject(q.interval, symbol) });
    if (last === null) return { ok: false, missing: symbol };
    oldestLast = Math.min(oldestLast, last.time.getTime());
  }
  // At least one bar each, to learn the newest closed bar that seeds the feed.
  const keep = Math.max(q.warmup, 1);
  const step = nominalIntervalMs(q.interval);
  for (let window = (keep + 2) * step + 60_000; ; window *= 4) {
    const from = oldestLast - window;
    const read = await readFrom(js, q, keep, from, end);
    const short = q.symbols.some((s) => (read.bars.get(s)?.length ?? 0) < keep);
    if (!short || from <= firstStored) {
      const bars = new Map<string, Bar[]>();
      const lastClosed = new Map<string, number>();
      for (const s of q.symbols) {
        const mine = read.bars.get(s) ?? [];
        bars.set(s, q.warmup === 0 ? [] : mine.slice(-q.warmup));
        const newest = mine.at(-1);
        if (newest !== undefined) lastClosed.set(s, newest.openTime);
      }
      const cursor = read.firstOpen === null ? Math.max(end, read.through) : read.firstOpen - 1;
      return { ok: true, bars, lastClosed, cursor };
    }
  }
}

interface Read {
  /** Per symbol, the newest `keep` bars closed by closedBy, oldest first. */
  readonly bars: Map<string, Bar[]>;
  /** The sequence of the first message of a symbol that had not closed by closedBy, or null. */
  readonly firstOpen: number | null;
  /** The last sequence read. */
  readonly through: number;
}

/** One pass: every message of the interval stored since `from`, up to the stream's end at start. */
async function readFrom(js: JetStreamClient, q: StreamWarmupQuery, keep: number, from: number, end: number): Promise<Read> {
  const bars = new Map<string, Bar[]>(q.symbols.map((s) => [s, []]));
  let firstOpen: number | null = null;
  let through = 0;
  const prefix = `${SUBJECT_ROOT}.${q.interval}.`;
  const consumer = await js.consumers.get(q.stream, {
    filter_subjects: intervalSubjects(q.interval),
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(Math.max(0, from)).toISOString(),
  });
  try {
    let left = (await consumer.info(true)).num_pending;
    while (left > 0 && through < end) {
      let got = 0;
      const batch = await consumer.fetch({ max_messages: BATCH, expires: EXPIRES_MS });
      for await (const m of batch) {
        got++;
        through = m.seq;
        left = m.info.pending;
        const list = m.subject.startsWith(prefix) ? bars.get(m.subject.slice(prefix.length)) : undefined;
        const decoded = list === undefined ? null : decodeBarMessage(m.string());
        // What cannot be decoded is left out here; the live feed counts such messages as it reads them.
        if (list !== undefined && decoded?.ok) {
          const bar = barOf(decoded.message);
          if (bar.closeTime <= q.closedBy) add(list, bar, keep);
          else firstOpen ??= m.seq;
        }
        if (left === 0 || through >= end) break;
      }
      if (got === 0) break;
    }
  } finally {
    await consumer.delete().catch(() => false);
  }
  return { bars, firstOpen, through };
}

/** Keeps a symbol's newest `keep` bars, oldest first; a bar repeated in the stream (its dedup window passed) counts once. */
function add(list: Bar[], bar: Bar, keep: number): void {
  const last = list.at(-1);
  if (last === undefined || bar.openTime > last.openTime) list.push(bar);
  else {
    if (list.some((b) => b.openTime === bar.openTime)) return;
    list.push(bar);
    list.sort((a, b) => a.openTime - b.openTime);
  }
  if (list.length > keep) list.splice(0, list.length - keep);
}
