/**
 * The publisher's connection to nats-server. The NATS client takes no credentials in a server URL
 * (`nats://user:pass@host` would be dialled with the userinfo ignored), so --nats is split here
 * into the server and its user/password or token; `tls://` asks for TLS. A publisher never gives
 * up on its server: it reconnects forever, and what it could not publish meanwhile it holds.
 */
import { type ConnectionOptions, connect, type NatsConnection } from '@nats-io/transport-node';
import { redactUrl } from '../config/redact-url.ts';

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** --nats URL as the client's options: the server as host:port, credentials apart. */
export function natsConnectOptions(url: string): ConnectionOptions {
  const u = new URL(url);
  const host = u.hostname.includes(':') && !u.hostname.startsWith('[') ? `[${u.hostname}]` : u.hostname;
  const options: ConnectionOptions = { servers: `${host}:${u.port || '4222'}` };
  if (u.protocol === 'tls:') options.tls = {};
  const user = decode(u.username);
  if (user !== '' && u.password === '') options.token = user;
  else if (user !== '') {
    options.user = user;
    options.pass = decode(u.password);
  }
  return options;
}

export interface PublisherConnectionOptions {
  readonly url: string;
  /** The connection's name on the server's monitoring pages. */
  readonly name: string;
  /** Wait between reconnect attempts (the client adds up to 100 ms of jitter). */
  readonly reconnectWaitMs?: number;
}

/** Connects once (a server out of reach at start is a refusal, not a wait); reconnects for ever after. */
export async function connectPublisher(o: PublisherConnectionOptions): Promise<{ ok: true; nc: NatsConnection } | { ok: false; message: string }> {
  try {
    const nc = await connect({
      ...natsConnectOptions(o.url),
      name: o.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: o.reconnectWaitMs ?? 500,
      // A server that stops answering without closing the socket is noticed in ~10 s, not the default 4 min.
      pingInterval: 5_000,
      maxPingOut: 2,
    });
    return { ok: true, nc };
  } catch (err) {
    return {
      ok: false,
      message: `cannot reach nats-server at ${redactUrl(o.url)}: ${(err as Error).message}. Start it with JetStream on (nats-server -js), or check --nats.`,
    };
  }
}
