/**
 * One client connection of the replay server: its subscriptions, framing and timers, with
 * Binance's connection rules (binance-protocol.md §3): a ping every pingIntervalMs, termination
 * when a ping goes unanswered for pongTimeoutMs, a cap of 5 inbound messages per second (close
 * 1008), and a lifetime cut. Every timer is cleared when the socket closes.
 *
 * No client can make it grow without bound or throw: a send buffer past maxSendBufferBytes (a
 * client that stopped reading) drops the connection, a binary frame is refused with 1003, and a
 * handler that throws closes the connection with 1011 instead of reaching the process.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ControlState } from './replay-control.ts';
import type { ClosedBy } from './replay-log.ts';
import type { StreamPath } from './replay-streams.ts';

export interface ConnectionRules {
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly lifetimeMs: number;
  /** Bytes waiting to be sent above which the client is taken for one that stopped reading. */
  readonly maxSendBufferBytes: number;
  /** Monotonic ms, for the message-rate window, ping ages and the connection's duration. */
  readonly clock: () => number;
}

export interface ConnectionHooks {
  /** A text message got past the rate cap. May throw: the connection closes with 1011. */
  message(connection: ReplayConnection, text: string): void;
  /** The socket is gone; `by`, `code` and `reason` say who ended it and why. */
  closed(connection: ReplayConnection, by: ClosedBy, code: number, reason: string): void;
  /** A handler threw; the connection is closing with 1011. */
  failed(connection: ReplayConnection, err: unknown): void;
}

/** "5 messages per second": pings, pongs and control messages all count. */
const MAX_INBOUND_PER_SECOND = 5;
/** Unanswered pings remembered; with sane timers far fewer are ever outstanding (60 s / 20 s). */
const MAX_PENDING_PINGS = 64;

interface PendingPing {
  readonly payload: string;
  readonly sentAt: number;
}

export class ReplayConnection implements ControlState {
  readonly id: number;
  readonly ws: WebSocket;
  /** host:port of the client. */
  readonly remote: string;
  /** The request path, as the client sent it. */
  readonly path: string;
  /** Streams this connection receives, as the client spelled them. */
  readonly streams: Set<string>;
  /** Wrap payloads as {"stream","data"}: true on /stream, false on /ws; SET_PROPERTY switches it. */
  combined: boolean;
  /** Silently dead: nothing is sent, nothing is read (so no pong), and nothing is closed. */
  stalled = false;
  /** Set once a close was started; later messages are not answered. */
  closing = false;
  /** Messages handed to the socket (klines, replies, events). */
  messagesSent = 0;
  /** At speed max: since when (monotonic ms) this client's buffer has held the tape back; null when it does not. */
  congestedSince: number | null = null;
  readonly openedAt: number;
  /**
   * The TCP socket under ws (an internal field: ws has no public cork). Corked for the rest of a
   * tick, a burst of frames leaves in one write instead of one syscall each, which was 2/3 of
   * the server's time at speed max.
   */
  private readonly socket: Duplex | undefined;
  private corked = false;
  private readonly rules: ConnectionRules;
  private readonly hooks: ConnectionHooks;
  /** Arrival times of the last inbound messages, oldest first. */
  private readonly recent: number[] = [];
  /**
   * Pings sent and not yet answered, oldest first. Payloads are random, so a pong can only echo a
   * ping the client has read; a pong for ping k answers every ping up to k (frames arrive in order).
   */
  private readonly pendingPings: PendingPing[] = [];
  /** Why this server ended the connection, when it did. */
  private cause: { code: number; reason: string } | null = null;
  /** Sends the next ping. */
  private pingTimer: NodeJS.Timeout | null = null;
  /** Armed by the oldest unanswered ping; terminates the socket when it fires. */
  private pongTimer: NodeJS.Timeout | null = null;
  /** Cuts the connection at the end of its lifetime. */
  private lifetimeTimer: NodeJS.Timeout | null = null;

  constructor(id: number, ws: WebSocket, remote: string, requestPath: string, path: StreamPath, rules: ConnectionRules, hooks: ConnectionHooks) {
    this.id = id;
    this.ws = ws;
    this.remote = remote;
    this.path = requestPath;
    this.streams = new Set(path.streams);
    this.combined = path.combined;
    this.rules = rules;
    this.hooks = hooks;
    this.openedAt = rules.clock();
    this.socket = (ws as unknown as { _socket?: Duplex })._socket;
    ws.on('message', (data, isBinary) => {
      if (!this.admit()) return;
      // RFC 6455 §7.4.1: 1003 is for "a type of data it cannot accept", e.g. binary on a text protocol.
      if (isBinary) return this.close(1003, 'Binary frames are not accepted; send JSON text');
      try {
        // The server keeps ws's default binaryType ('nodebuffer'): every message is one Buffer.
        this.hooks.message(this, (data as Buffer).toString());
      } catch (err) {
        this.hooks.failed(this, err);
        this.close(1011, 'Internal error');
      }
    });
    ws.on('ping', (data) => {
      if (this.admit() && !this.stalled) ws.pong(data);
    });
    ws.on('pong', (data) => this.answered(data));
    // ws reports protocol errors (too large, bad UTF-8, bad framing) here, then closes with the matching code.
    ws.on('error', (err) => {
      this.cause ??= { code: PROTOCOL_CLOSE_CODES[(err as NodeJS.ErrnoException).code ?? ''] ?? 1002, reason: err.message };
    });
    ws.on('close', (code, reason) => {
      this.closing = true;
      this.clearTimers();
      const cause = this.cause;
      if (cause) this.hooks.closed(this, 'server', cause.code, cause.reason);
      else this.hooks.closed(this, 'client', code, reason.toString());
    });
    this.pingTimer = setInterval(this.ping, rules.pingIntervalMs);
    this.lifetimeTimer = setTimeout(() => this.close(1001, 'Connection lifetime exceeded'), rules.lifetimeMs);
  }

  get open(): boolean {
    return !this.closing && this.ws.readyState === this.ws.OPEN;
  }

  send(text: string): void {
    if (this.stalled || !this.open) return;
    if (!this.corked && this.socket) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(this.uncork);
    }
    this.ws.send(text);
    this.messagesSent++;
    const buffered = this.ws.bufferedAmount;
    if (buffered > this.rules.maxSendBufferBytes) {
      this.drop(`send buffer passed ${this.rules.maxSendBufferBytes} bytes (${buffered}): the client is not reading`);
    }
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket?.uncork();
  };

  stall(on: boolean): void {
    if (this.stalled === on) return;
    this.stalled = on;
    if (on) {
      this.ws.pause();
      // Not reading means no pongs: the dead link is the client's to notice, not ours.
      this.pendingPings.length = 0;
      this.clearPongTimer();
    } else this.ws.resume();
  }

  /** A close frame; the reason must fit a control frame (123 bytes). */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.cause ??= { code, reason };
    this.clearTimers();
    this.ws.close(code, reason);
  }

  /** Destroys the socket without a close frame (the client sees 1006); `reason` goes to the log. */
  drop(reason: string): void {
    this.cause ??= { code: 1006, reason };
    this.terminate();
  }

  /** Destroys the socket without a close frame: the client sees 1006. */
  terminate(): void {
    this.cause ??= { code: 1006, reason: 'terminated by the server' };
    this.closing = true;
    this.clearTimers();
    this.ws.terminate();
  }

  private admit(): boolean {
    if (this.closing) return false;
    const now = this.rules.clock();
    const recent = this.recent;
    if (recent.length === MAX_INBOUND_PER_SECOND && now - recent[0]! < 1000) {
      // The disconnect a user saw for a resubscribe burst (binance-connector-go#90).
      this.close(1008, 'Too many requests');
      return false;
    }
    recent.push(now);
    if (recent.length > MAX_INBOUND_PER_SECOND) recent.shift();
    return true;
  }

  private answered(data: Buffer): void {
    const payload = data.toString('hex');
    const at = this.pendingPings.findIndex((p) => p.payload === payload);
    if (at < 0) {
      this.admit(); // unsolicited or a guess: counted, and it keeps nothing alive
      return;
    }
    this.pendingPings.splice(0, at + 1);
    this.clearPongTimer();
    const oldest = this.pendingPings[0];
    if (oldest) this.armPongTimer(oldest.sentAt + this.rules.pongTimeoutMs - this.rules.clock());
  }

  private readonly ping = (): void => {
    if (this.stalled || !this.open) return;
    const payload = randomBytes(8);
    // The oldest forgotten ping's deadline stays armed: forgetting it excuses nothing.
    if (this.pendingPings.length === MAX_PENDING_PINGS) this.pendingPings.shift();
    this.pendingPings.push({ payload: payload.toString('hex'), sentAt: this.rules.clock() });
    this.ws.ping(payload);
    if (this.pongTimer === null) this.armPongTimer(this.rules.pongTimeoutMs);
  };

  private armPongTimer(ms: number): void {
    this.pongTimer = setTimeout(() => this.drop(`no pong within ${this.rules.pongTimeoutMs} ms of a ping`), Math.max(0, ms));
  }

  private clearPongTimer(): void {
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.pongTimer = null;
  }

  private clearTimers(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.lifetimeTimer) clearTimeout(this.lifetimeTimer);
    this.pingTimer = null;
    this.lifetimeTimer = null;
    this.clearPongTimer();
  }
}

/** The close code ws sends for each of its receive errors (the rest are 1002, protocol error). */
const PROTOCOL_CLOSE_CODES: Readonly<Record<string, number>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_INVALID_UTF8: 1007,
};
