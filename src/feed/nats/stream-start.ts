/**
 * Where a session's feed starts reading the fleet's stream: after its cursor (the journal's last
 * one on a resume, the warm-up's end on a fresh start), or after the stream's last message for a
 * feed given none. A cursor the stream no longer supports is said in an alert, and reading starts
 * at the stream's first message: past the stream's end (the stream was deleted or purged and made
 * again: its sequences start over), or before its first message (its limits dropped what the
 * session had not read yet: those bars are never decided).
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import { barSubject, decodeBarMessage } from '../../fleet/bar-message.ts';
import type { StreamCursor } from '../stream-cursor.ts';

export interface StreamStartQuery {
  readonly stream: string;
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly cursor: StreamCursor;
  /** The stream and its server, for the alerts. */
  readonly where: string;
}

export interface StreamStart {
  /** The first sequence to read. */
  readonly seq: number;
  /** Said when the cursor cannot be followed as it is. */
  readonly alert: string | null;
  /**
   * A resumed feed's catch-up is measured against each symbol's newest bar in the stream now
   * (stale_bar); empty for a fresh one, whose bars after the warm-up are live.
   */
  readonly newest: ReadonlyMap<string, number>;
}

export async function findStreamStart(jsm: JetStreamManager, q: StreamStartQuery): Promise<StreamStart> {
  const info = await jsm.streams.info(q.stream);
  const newest = new Map<string, number>();
  for (const symbol of q.cursor.resumed ? q.symbols : []) {
    const last = await jsm.streams.getMessage(q.stream, { last_by_subj: barSubject(q.interval, symbol) });
    const decoded = last === null ? null : decodeBarMessage(last.string());
    if (decoded?.ok) newest.set(symbol, decoded.message.openTime);
  }
  const { first_seq: first, last_seq: last } = info.state;
  const after = q.cursor.startAfter;
  if (after === null) {
    q.cursor.begin(last);
    return { seq: last + 1, alert: null, newest };
  }
  if (after > last) {
    q.cursor.begin(first - 1);
    const alert = `the ${q.where} ends at seq ${last}, before this session's journaled cursor ${after}: it was deleted or purged and made again. Reading it from its first message; bars at or before each symbol's last decided one are passed over.`;
    return { seq: first, alert, newest };
  }
  if (after + 1 < first) {
    q.cursor.begin(first - 1);
    const alert = `the ${q.where} no longer holds seqs ${after + 1} to ${first - 1} (its limits dropped them while this session was away): the bars among them are never decided.`;
    return { seq: first, alert, newest };
  }
  return { seq: after + 1, alert: null, newest };
}
