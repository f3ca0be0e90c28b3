/**
 * What a publisher sends before its first live bar, per symbol, from the stream's ends and the
 * exchange's recent bars. The stream stays in openTime order per subject:
 * - a subject the stream has no bar of gets the last `--history` bars;
 * - otherwise the history bars the stream already spans (from its first to its last bar there) are
 *   published again, and the server drops them as duplicates: harmless, and the proof that dedup
 *   holds; history older than the stream's first bar is not sent, since it would land behind newer bars;
 * - the bars after the stream's last one (closed while no publisher ran) are published next, in
 *   order, up to --max-backfill-bars of them; an outage longer than that leaves a gap, said and counted;
 * - the feed is seeded with the newest bar the stream will hold, so it goes on from there.
 */
import type { JetStreamManager, MsgRequest } from '@nats-io/jetstream';
import { nextOpenTime, nominalIntervalMs } from '../domain/interval.ts';
import type { Bar } from '../domain/types.ts';
import { decodeBarMessage } from './bar-message.ts';

/** openTime of the first and the last bar the stream holds on one subject (null: none). */
export interface StreamEnds {
  readonly first: number | null;
  readonly last: number | null;
}

export type StreamEndsResult = { readonly ok: true; readonly ends: StreamEnds } | { readonly ok: false; readonly message: string };

/** Reads the first and the last message on `subject`; a message there that is not a bar is named. */
export async function readStreamEnds(jsm: JetStreamManager, stream: string, subject: string): Promise<StreamEndsResult> {
  const last = await jsm.streams.getMessage(stream, { last_by_subj: subject });
  if (last === null) return { ok: true, ends: { first: null, last: null } };
  // next_by_subj from sequence 0: the subject's first message (server 2.9 has it; the client's type lists only seq and last_by_subj).
  const first = await jsm.streams.getMessage(stream, { seq: 0, next_by_subj: subject } as unknown as MsgRequest);
  const ends: number[] = [];
  for (const [which, m] of [
    ['first', first ?? last],
    ['last', last],
  ] as const) {
    const d = decodeBarMessage(m.string());
    if (!d.ok) {
      return {
        ok: false,
        message: `--stream ${stream}: its ${which} message on ${subject} (sequence ${m.seq}) is not a bar (${d.reason}): something else publishes there. Name another stream with --stream.`,
      };
    }
    ends.push(d.message.openTime);
  }
  return { ok: true, ends: { first: ends[0]!, last: ends[1]! } };
}

/** Bars to load from the exchange so that the history and every bar missed since `last` are in them (up to --max-backfill-bars). */
export function barsToLoad(historyBars: number, ends: readonly StreamEnds[], serverTime: number, interval: string, maxBackfillBars: number): number {
  let need = historyBars;
  for (const e of ends) {
    if (e.last === null) continue;
    need = Math.max(need, Math.min(maxBackfillBars, Math.ceil((serverTime - e.last) / nominalIntervalMs(interval))));
  }
  return need;
}

export interface StartPlan {
  /** History: republished where the stream has it (duplicates), first published where it has none. */
  readonly history: readonly Bar[];
  /** Closed after the stream's last bar: missed while no publisher ran. */
  readonly missed: readonly Bar[];
  /** History bars older than the stream's first bar on the subject: not sent (they would land out of order). */
  readonly olderThanStream: number;
  /** Bars after the stream's last one that are not loaded: more than --max-backfill-bars. */
  readonly gapBars: number;
  /** The feed goes on after this openTime (null: no bar closed yet, nothing in the stream). */
  readonly seed: number | null;
}

export interface StartInput {
  /** Closed bars from the exchange, oldest first (barsToLoad of them at most). */
  readonly bars: readonly Bar[];
  /** The newest closed bar at start, per the exchange. */
  readonly lastClosed: number | undefined;
  readonly ends: StreamEnds;
  readonly historyBars: number;
  readonly interval: string;
  readonly maxBackfillBars: number;
  readonly serverTime: number;
}

export function planStart(i: StartInput): StartPlan {
  const recent = i.historyBars > 0 ? i.bars.slice(-i.historyBars) : [];
  const newest = (bars: readonly Bar[], floor: number | null): number | null => {
    const candidates = [floor, i.lastClosed ?? null, bars.at(-1)?.openTime ?? null].filter((t): t is number => t !== null);
    return candidates.length > 0 ? Math.max(...candidates) : null;
  };
  const { first, last } = i.ends;
  if (last === null) return { history: recent, missed: [], olderThanStream: 0, gapBars: 0, seed: newest(recent, null) };
  const from = first ?? last;
  const history = recent.filter((b) => b.openTime >= from && b.openTime <= last);
  const missed = i.bars.filter((b) => b.openTime > last);
  const capped = Math.ceil((i.serverTime - last) / nominalIntervalMs(i.interval)) > i.maxBackfillBars;
  const expected = nextOpenTime(i.interval, last);
  const firstMissed = missed[0];
  const gapBars =
    capped && firstMissed !== undefined && firstMissed.openTime > expected ? Math.round((firstMissed.openTime - expected) / nominalIntervalMs(i.interval)) : 0;
  return { history, missed, olderThanStream: recent.filter((b) => b.openTime < from).length, gapBars, seed: newest(missed, last) };
}
