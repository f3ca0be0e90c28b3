/**
 * What one message from a live upstream is, once its source has read it: the words the venue-
 * neutral parts (bar-intake.ts, ws-live-feed.ts) understand, whatever the wire format was.
 */
import type { Bar } from '../../domain/types.ts';

/** An update of a symbol's current bar; `closed` once its interval is over (the bar is final). */
export interface KlineMessage {
  readonly kind: 'kline';
  /** The stream it came on: the origin named in a skip. */
  readonly stream: string;
  /** Exchange event time E (ms). */
  readonly eventTime: number;
  readonly closed: boolean;
  readonly bar: Bar;
}

/** A reply to a request, or any other message with nothing in it for the loop. */
export interface ControlMessage {
  readonly kind: 'control';
  readonly id: unknown;
  readonly result?: unknown;
  readonly error?: { readonly code?: unknown; readonly msg?: unknown };
}

/** The server will close this connection soon: it is replaced overlap-first, without a halt. */
export interface ShutdownMessage {
  readonly kind: 'shutdown';
  readonly eventTime: number | null;
}

export interface MalformedMessage {
  readonly kind: 'malformed';
  /** The subscribed symbol the message was for, when that much could be read. */
  readonly symbol: string | null;
  readonly openTime: number | null;
  readonly message: string;
}

export type StreamMessage = KlineMessage | ControlMessage | ShutdownMessage | MalformedMessage;
