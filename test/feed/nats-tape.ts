/**
 * The fleet's stream for tests of a session that reads it: a real nats-server with JetStream (one
 * of the test's own, which it may kill, or the shared one of scripts/with-nats.sh), a stream on
 * it, and a publisher's connection that puts bars there as `tradeloop publish` would, encoded by
 * the fleet's own encodeBarMessage. In front of the server, optionally, a TCP proxy that counts
 * the session's connections and can cut them without a goodbye: what a lost network looks like
 * to the session while the server and the stream live on.
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket, connect as netConnect } from 'node:net';
import type { TestContext } from 'node:test';
import { jetstream, type JetStreamClient, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { parsePrice } from '../../src/domain/price.ts';
import type { Bar } from '../../src/domain/types.ts';
import { barMessageId, barSubject, encodeBarMessage } from '../../src/fleet/bar-message.ts';
import { heartbeatSubject, type PublisherHeartbeatMessage } from '../../src/fleet/publisher-heartbeat.ts';
import { natsUrl, type OwnNatsServer, startNatsServer } from '../helpers/nats.ts';

export const MINUTE = 60_000;

/** A 1m bar of `minute` after base: close `close`, high one above, low one below, as Binance's decimals. */
export function minuteBar(symbol: string, minute: number, close: number, base: number, volume = 10): Bar {
  const openTime = base + minute * MINUTE;
  return {
    symbol,
    interval: '1m',
    openTime,
    closeTime: openTime + MINUTE - 1,
    open: parsePrice(close.toFixed(2)),
    high: parsePrice((close + 1).toFixed(2)),
    low: parsePrice((close - 1).toFixed(2)),
    close: parsePrice(close.toFixed(2)),
    volume,
    source: 'ws',
  };
}

export interface TapeOptions {
  /** A server of the test's own (it may be killed), or the shared one (TRADELOOP_TEST_NATS). */
  readonly server: 'own' | 'shared';
  readonly stream: string;
  /** The stream's subjects (default every bar subject: on the shared server, name your symbols' own). */
  readonly subjects?: readonly string[];
  /** A proxy in front of the server for the session (cut(), connected()). */
  readonly proxy?: boolean;
}

export class NatsTape {
  /** Where a session connects: the proxy when there is one, else the server. */
  readonly url: string;
  readonly stream: string;
  readonly own: OwnNatsServer | null;
  private nc: NatsConnection;
  private js: JetStreamClient;
  private readonly proxy: Server | null;
  private readonly pairs = new Set<Socket>();
  private accepted = 0;
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];
  /** Publishes sent and not yet stored: a session's connection waits for them (what was stored before it came is history). */
  private readonly inFlight = new Set<Promise<unknown>>();
  private failure: Error | null = null;

  private constructor(o: { url: string; stream: string; own: OwnNatsServer | null; nc: NatsConnection; proxy: Server | null }) {
    this.url = o.url;
    this.stream = o.stream;
    this.own = o.own;
    this.nc = o.nc;
    this.js = jetstream(o.nc);
    this.proxy = o.proxy;
  }

  static async start(t: Pick<TestContext, 'after'>, o: TapeOptions): Promise<NatsTape> {
    const own = o.server === 'own' ? await startNatsServer(t) : null;
    const serverUrl = own?.url ?? natsUrl();
    const nc = await connect({ servers: serverUrl, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: o.stream, subjects: [...(o.subjects ?? ['tradeloop.bars.>'])] });
    let proxy: Server | null = null;
    let tape: NatsTape | null = null;
    if (o.proxy) {
      const port = Number(new URL(serverUrl).port);
      proxy = createServer((client) => tape!.accept(client, port));
      proxy.listen(0, '127.0.0.1');
      await once(proxy, 'listening');
    }
    const url = proxy ? `nats://127.0.0.1:${(proxy.address() as { port: number }).port}` : serverUrl;
    tape = new NatsTape({ url, stream: o.stream, own, nc, proxy });
    const made = tape;
    t.after(() => made.close());
    return made;
  }

  private accept(client: Socket, port: number): void {
    this.accepted++;
    this.pairs.add(client);
    client.on('error', () => {});
    client.pause();
    void Promise.all([...this.inFlight]).then(() => {
      if (client.destroyed) return;
      const server = netConnect(port, '127.0.0.1');
      server.on('error', () => client.destroy());
      client.on('close', () => server.destroy());
      server.on('close', () => {
        this.pairs.delete(client);
        client.destroy();
      });
      client.pipe(server);
      server.pipe(client);
      client.resume();
      for (const w of this.waiters.filter((x) => this.accepted >= x.count)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    });
  }

  /** Resolves once the session has connected `count` times in all (through the proxy). */
  connected(count: number): Promise<void> {
    if (this.accepted >= count && this.pairs.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** Ends the session's connections abruptly; the server and the stream go on. */
  cut(): void {
    for (const c of this.pairs) c.destroy();
    this.pairs.clear();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    p.then(
      () => this.inFlight.delete(p),
      (err: Error) => {
        this.inFlight.delete(p);
        this.failure ??= err;
      },
    );
    return p;
  }

  /**
   * A bar into the stream as a publisher puts it there; the stream's sequence. With `id` (the
   * default) the server drops a repeat inside its duplicate window, as for a real publisher;
   * without, a repeat lands (a window that has passed).
   */
  publish(bar: Bar, o: { eventTime?: number; publishedAt?: number; id?: boolean } = {}): Promise<number> {
    // A bar read from a csv file is published as a publisher's feed would have it: off the WebSocket.
    const origin = bar.source === 'rest-backfill' ? bar : { ...bar, source: 'ws' as const };
    const text = encodeBarMessage(origin, o.eventTime ?? bar.closeTime + 1, o.publishedAt ?? Date.now());
    const opts = o.id === false ? {} : { msgID: barMessageId(bar) };
    return this.track(this.js.publish(barSubject(bar.interval, bar.symbol), text, opts).then((a) => a.seq));
  }

  /** Anything at all on a subject of the stream. */
  publishRaw(subject: string, text: string): Promise<number> {
    return this.track(this.js.publish(subject, text).then((a) => a.seq));
  }

  /** A publisher's heartbeat (core NATS, not in the stream), as `tradeloop publish` sends it: for this stream unless told another. */
  heartbeat(publisherId: string, symbols: readonly string[], o: { stream?: string; interval?: string } = {}): void {
    const beat: PublisherHeartbeatMessage = {
      publisherId,
      at: Date.now(),
      symbols,
      interval: o.interval ?? '1m',
      stream: o.stream ?? this.stream,
      lastOpenTime: {},
      feed: 'live',
    };
    this.nc.publish(heartbeatSubject(publisherId), JSON.stringify(beat));
  }

  /** Everything published so far is stored, and the event loop has polled for I/O since. */
  async settle(): Promise<void> {
    await Promise.all([...this.inFlight]);
    await this.nc.flush();
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));
  }

  /** A publish that failed (none should): thrown at settle(), or here. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** The publisher's connection again, after the server was restarted. */
  async reconnect(): Promise<void> {
    await this.nc.close().catch(() => {});
    this.nc = await connect({ servers: this.own?.url ?? natsUrl(), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    this.js = jetstream(this.nc);
  }

  async close(): Promise<void> {
    this.cut();
    this.proxy?.close();
    // A server of the test's own goes with its store (its after-hook may have killed it already); on the shared one the stream is deleted.
    if (this.own === null) await (await jetstreamManager(this.nc).catch(() => null))?.streams.delete(this.stream).catch(() => false);
    await this.nc.close().catch(() => {});
  }
}
