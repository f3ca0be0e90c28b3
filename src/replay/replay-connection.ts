/**
 * One client connection of the replay server: its subscriptions, framing and timers, with
 * Binance's connection rules (binance-protocol.md §3): a ping every pingIntervalMs, termination
 * when no pong answers within pongTimeoutMs, a cap of 5 inbound messages per second (close 1008),
 * and a lifetime cut. Every timer is cleared when the socket closes.
 */
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ControlState } from './replay-control.ts';
import type { StreamPath } from './replay-streams.ts';

export interface ConnectionRules {
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly lifetimeMs: number;
  /** Monotonic ms, for the message-rate window. */
  readonly clock: () => number;
}

export interface ConnectionHooks {
  /** A text message got past the rate cap. */
  message(connection: ReplayConnection, text: string): void;
  closed(connection: ReplayConnection): void;
}

/** "5 messages per second": pings, pongs and control messages all count. */
const MAX_INBOUND_PER_SECOND = 5;

export class ReplayConnection implements ControlState {
  readonly id: number;
  readonly ws: WebSocket;
  /** Streams this connection receives, as the client spelled them. */
  readonly streams: Set<string>;
  /** Wrap payloads as {"stream","data"}: true on /stream, false on /ws; SET_PROPERTY switches it. */
  combined: boolean;
  /** Silently dead: nothing is sent, nothing is read (so no pong), and nothing is closed. */
  stalled = false;
  /** Set once a close was started; later messages are not answered. */
  closing = false;
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
  /** Payloads of pings sent and not yet answered; only a pong echoing one counts as an answer. */
  private readonly pendingPings = new Set<string>();
  private pings = 0;
  /** Sends the next ping. */
  private pingTimer: NodeJS.Timeout | null = null;
  /** Armed by the first unanswered ping; terminates the socket when it fires. */
  private pongTimer: NodeJS.Timeout | null = null;
  /** Cuts the connection at the end of its lifetime. */
  private lifetimeTimer: NodeJS.Timeout | null = null;

  constructor(id: number, ws: WebSocket, path: StreamPath, rules: ConnectionRules, hooks: ConnectionHooks) {
    this.id = id;
    this.ws = ws;
    this.streams = new Set(path.streams);
    this.combined = path.combined;
    this.rules = rules;
    this.hooks = hooks;
    this.socket = (ws as unknown as { _socket?: Duplex })._socket;
    ws.on('message', (data) => {
      // The server keeps ws's default binaryType ('nodebuffer'): every message is one Buffer.
      if (this.admit()) this.hooks.message(this, (data as Buffer).toString());
    });
    ws.on('ping', (data) => {
      if (this.admit() && !this.stalled) ws.pong(data);
    });
    ws.on('pong', (data) => {
      const key = data.toString();
      if (this.pendingPings.has(key)) {
        this.pendingPings.clear();
        this.clearPongTimer();
      } else this.admit(); // unsolicited: counted, and it does not keep the connection alive
    });
    // ws reports protocol errors here and then closes; the close handler does the bookkeeping.
    ws.on('error', () => {});
    ws.on('close', () => {
      this.closing = true;
      this.clearTimers();
      this.hooks.closed(this);
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
      this.pendingPings.clear();
      this.clearPongTimer();
    } else this.ws.resume();
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.clearTimers();
    this.ws.close(code, reason);
  }

  /** Destroys the socket without a close frame: the client sees 1006. */
  terminate(): void {
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

  private readonly ping = (): void => {
    if (this.stalled || !this.open) return;
    const payload = `${++this.pings}`;
    this.pendingPings.add(payload);
    this.ws.ping(payload);
    if (this.pongTimer === null) this.pongTimer = setTimeout(() => this.terminate(), this.rules.pongTimeoutMs);
  };

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
