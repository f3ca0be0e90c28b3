/**
 * A connection to the fleet's nats-server, for a session (which keeps it, reconnecting forever)
 * and for the CLI (one command's worth). Credentials in the URL (nats://user:pass@host or
 * nats://token@host) are given to the client as options and never shown: a refusal names the URL
 * with them hidden.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { redactUrl } from '../config/redact-url.ts';

export type Connected = { readonly ok: true; readonly nc: NatsConnection } | { readonly ok: false; readonly message: string };

export interface ConnectOptions {
  /** The client's name, as nats-server's monitoring shows it. */
  readonly name: string;
  /** A session: reconnect forever. The CLI: give up with the first connection. */
  readonly keep: boolean;
  readonly timeoutMs?: number;
}

export async function connectFleet(url: string, o: ConnectOptions): Promise<Connected> {
  const u = new URL(url);
  const auth: { user?: string; pass?: string; token?: string } = {};
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  if (user !== '' && pass !== '') Object.assign(auth, { user, pass });
  else if (user !== '') auth.token = user;
  u.username = '';
  u.password = '';
  try {
    const nc = await connect({
      servers: u.toString(),
      name: o.name,
      timeout: o.timeoutMs ?? 5000,
      ...(o.keep ? { maxReconnectAttempts: -1, reconnectTimeWait: 500 } : { maxReconnectAttempts: 0, reconnect: false }),
      ...auth,
    });
    return { ok: true, nc };
  } catch (err) {
    return { ok: false, message: `--nats ${redactUrl(url)}: cannot connect to the fleet's nats-server (${(err as Error).message}). Is it running there?` };
  }
}
