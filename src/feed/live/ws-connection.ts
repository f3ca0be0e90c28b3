/**
 * One WebSocket connection as an explicit state machine:
 *
 *   idle → connecting → open → closing → closed
 *                 ↘──────────────↗ (error, close frame, silent death: terminate)
 *
 * Every timer is named and cleared on every transition. A connection never reconnects itself:
 * the feed decides what follows a close (backoff, rotation), so one record holds one socket's life.
 *
 * Liveness is judged from what the socket did, not from how long the loop was busy. After a slow
 * turn (a strategy busy for seconds), Node runs due timers before it reads the sockets: a pong
 * deadline would fire with the pong waiting unread in the buffer, and the client would drop its
 * own healthy connection. So a deadline's verdict waits until pending I/O has been read
 * (afterPendingIo), then asks whether anything (a pong, a ping, a message) was heard since.
 */
import WebSocket from 'ws';
import type { Clock, TimerHandle } from '../../telemetry/clock.ts';
import type { WsProtocol } from './ws-protocol.ts';

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'closing' | 'closed';

export interface ConnectionHandlers {
  onOpen(conn: WsConnection): void;
  /** Called in the socket callback: parse, validate, enqueue; never run strategy code here. */
  onMessage(conn: WsConnection, text: string): void;
  onClose(conn: WsConnection, code: number, reason: string): void;
  onControlError(conn: WsConnection, message: string): void;
}

export interface ConnectionOptions {
  readonly url: string;
  readonly subscribeBatches: ReadonlyArray<readonly string[]>;
  readonly clock: Clock;
  /** Send our own ping this often; terminate if its pong is not back within pongTimeoutMs. */
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  /** Give up on a handshake after this long. */
  readonly connectTimeoutMs: number;
  /** Close frames get this long before terminate(). */
  readonly closeGraceMs: number;
  /** How a subscription request and its reply look, and the pause between requests. */
  readonly protocol: Pick<WsProtocol, 'subscribeFrame' | 'readReply' | 'subscribeGapMs'>;
}

let nextConnectionId = 1;

/**
 * Largest frame we accept (ws's default is 100 MiB, buffered whole before we see it). A kline
 * message is ~500 bytes and a SUBSCRIBE reply smaller; past this, ws closes with 1009.
 */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/**
 * Runs fn after the event loop has polled for I/O at least once: the first immediate may run
 * before the next poll (when scheduled from a poll callback), the second cannot.
 */
export function afterPendingIo(fn: () => void): void {
  setImmediate(() => setImmediate(fn));
}

export class WsConnection {
  /** Which connection this is, for feed events and tests. */
  readonly id = nextConnectionId++;
  /** Index of the plan (stream group) this connection serves. */
  readonly slot: number;
  state: ConnectionState = 'idle';
  /** Monotonic time of the last data message (or of the open, before the first). */
  lastMessageAt = 0;
  openedAt = 0;
  messages = 0;
  /** Frames heard from the server (messages, pings, pongs): proof of life for a pong deadline. */
  heard = 0;
  /** Set by the feed when it closes the connection on purpose (rotation, shutdown). */
  planned = false;
  /** The feed's view: this connection has delivered a message since it opened. */
  delivered = false;
  /** The feed's view of this connection's freshness. */
  stale = false;
  staleAlerted = false;

  private ws: WebSocket | null = null;
  private readonly options: ConnectionOptions;
  private readonly handlers: ConnectionHandlers;
  // Named timers, all cleared by clearTimers() on every transition.
  private connectTimer: TimerHandle | null = null;
  private pingTimer: TimerHandle | null = null;
  private pongTimer: TimerHandle | null = null;
  private closeTimer: TimerHandle | null = null;
  private subscribeTimer: TimerHandle | null = null;
  /** `heard` when the outstanding ping went out. */
  private heardAtPing = 0;
  /** A ping is out whose answer (or any frame) has not been heard yet, or whose verdict is pending. */
  private awaitingPong = false;
  private paused = false;
  /** A pong deadline passed while we were not reading (paused): judged again after resume. */
  private pongOverdue = false;
  private nextRequestId = 1;
  private readonly pendingRequests = new Map<number, string>();

  constructor(slot: number, options: ConnectionOptions, handlers: ConnectionHandlers) {
    this.slot = slot;
    this.options = options;
    this.handlers = handlers;
  }

  private clearTimers(): void {
    const c = this.options.clock;
    c.clearTimer(this.connectTimer);
    c.clearTimer(this.pingTimer);
    c.clearTimer(this.pongTimer);
    c.clearTimer(this.closeTimer);
    c.clearTimer(this.subscribeTimer);
    this.connectTimer = this.pingTimer = this.pongTimer = this.closeTimer = this.subscribeTimer = null;
  }

  open(): void {
    if (this.state !== 'idle') return;
    const { clock } = this.options;
    this.state = 'connecting';
    // No handshakeTimeout of ws's own: it would judge across a blocked loop; connectTimer does not.
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.options.url, { perMessageDeflate: false, maxPayload: MAX_PAYLOAD_BYTES });
    } catch (err) {
      // A URL ws cannot use: a close like any failed attempt (on the next turn, as ws would),
      // its message without the URL, which may hold credentials.
      this.state = 'closed';
      const why = (err as Error).name;
      setImmediate(() => this.handlers.onClose(this, 1006, `cannot open: ${why}`));
      return;
    }
    this.ws = ws;
    this.connectTimer = clock.setTimer(
      () =>
        afterPendingIo(() => {
          if (this.state === 'connecting') this.terminate();
        }),
      this.options.connectTimeoutMs,
    );
    ws.on('open', () => {
      if (this.state !== 'connecting') return;
      this.clearTimers();
      this.state = 'open';
      this.openedAt = this.lastMessageAt = clock.monotonic();
      this.schedulePing();
      this.subscribeNext(0);
      this.handlers.onOpen(this);
    });
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (this.state !== 'open' && this.state !== 'closing') return;
      this.lastMessageAt = clock.monotonic();
      this.messages++;
      this.heard++;
      const text = isBinary ? '' : typeof data === 'string' ? data : data.toString();
      if (this.pendingRequests.size > 0 && this.routeReply(text)) return;
      this.handlers.onMessage(this, text);
    });
    ws.on('pong', () => {
      this.heard++;
      // A verdict already pending sees `heard` moved and keeps the connection.
      if (this.pongTimer !== null) {
        this.options.clock.clearTimer(this.pongTimer);
        this.pongTimer = null;
        this.awaitingPong = false;
      }
    });
    // ws answers server pings itself (autoPong); they show the link is alive.
    ws.on('ping', () => {
      this.heard++;
    });
    ws.on('error', () => {
      // A 'close' always follows an 'error' in ws; the close is where the state changes.
    });
    ws.on('close', (code: number, reason: Buffer) => {
      const was = this.state;
      this.clearTimers();
      this.state = 'closed';
      this.ws = null;
      if (was !== 'closed') this.handlers.onClose(this, code, reason.toString());
    });
  }

  private schedulePing(): void {
    const { clock, pingIntervalMs } = this.options;
    this.pingTimer = clock.setTimer(() => {
      if (this.state !== 'open' || !this.ws) return;
      try {
        this.ws.ping();
      } catch {
        return this.terminate();
      }
      // A half-open TCP link is invisible without a ping: nothing heard in time means it is dead.
      // One deadline at a time: pings sent while one is out (or judged) are answered by any frame.
      if (!this.awaitingPong) this.armPongDeadline();
      this.schedulePing();
    }, pingIntervalMs);
  }

  private armPongDeadline(): void {
    this.awaitingPong = true;
    this.heardAtPing = this.heard;
    this.pongTimer = this.options.clock.setTimer(() => {
      this.pongTimer = null;
      afterPendingIo(() => this.judgePong());
    }, this.options.pongTimeoutMs);
  }

  private judgePong(): void {
    if (this.state !== 'open' || !this.awaitingPong) return;
    if (this.heard !== this.heardAtPing) {
      this.awaitingPong = false;
      return;
    }
    // Paused by us (backpressure), the socket is not read: silence proves nothing yet.
    if (this.paused) {
      this.pongOverdue = true;
      return;
    }
    this.terminate();
  }

  private subscribeNext(index: number): void {
    const batches = this.options.subscribeBatches;
    if (index >= batches.length) return;
    const send = (): void => {
      if (this.state !== 'open' || !this.ws) return;
      const id = this.nextRequestId++;
      this.pendingRequests.set(id, 'SUBSCRIBE');
      this.ws.send(this.options.protocol.subscribeFrame(batches[index]!, id));
      this.subscribeNext(index + 1);
    };
    if (index === 0) send();
    else this.subscribeTimer = this.options.clock.setTimer(send, this.options.protocol.subscribeGapMs);
  }

  /** Replies to our own requests are taken here; true if the text was one. */
  private routeReply(text: string): boolean {
    const reply = this.options.protocol.readReply(text);
    if (reply === null || !this.pendingRequests.has(reply.id)) return false;
    const method = this.pendingRequests.get(reply.id)!;
    this.pendingRequests.delete(reply.id);
    if (reply.refusal !== null) this.handlers.onControlError(this, `${method} id ${reply.id} refused: ${reply.refusal}`);
    return true;
  }

  pause(): void {
    this.paused = true;
    this.ws?.pause();
  }

  resume(): void {
    this.paused = false;
    this.ws?.resume();
    if (this.pongOverdue && this.state === 'open') {
      this.pongOverdue = false;
      this.armPongDeadline();
    }
  }

  /** Closes with a close frame; terminate() if the peer does not answer within the grace. */
  close(): void {
    if (this.state === 'closed' || this.state === 'closing') return;
    if (!this.ws || this.state === 'idle') {
      this.state = 'closed';
      return;
    }
    this.clearTimers();
    this.state = 'closing';
    try {
      this.ws.close(1000, 'client closing');
    } catch {
      return this.terminate();
    }
    this.closeTimer = this.options.clock.setTimer(() => this.terminate(), this.options.closeGraceMs);
  }

  /** Destroys the socket at once (no close handshake); 'close' follows with code 1006. */
  terminate(): void {
    if (this.state === 'closed') return;
    if (!this.ws) {
      this.state = 'closed';
      return;
    }
    this.ws.terminate();
  }
}
