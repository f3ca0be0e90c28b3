/**
 * Raw TCP clients for the replay server's hardening tests: requests and frames no well-behaved
 * library would send (garbage bytes, broken request lines, hand-built WebSocket frames), and a
 * WebSocket client that completes the handshake and then never reads again.
 */
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface RawAnswer {
  /** Everything the server wrote before it closed or the answer was complete. */
  readonly text: string;
  /** The status code of the first response line, or null when none came. */
  readonly status: number | null;
  /** The parsed JSON body, or undefined when it is not JSON. */
  readonly json: unknown;
  /** The server closed the socket. */
  readonly closed: boolean;
}

function statusOf(text: string): number | null {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  return m ? Number(m[1]) : null;
}

/** The response is complete when its headers and Content-Length bytes of body are in. */
function complete(buf: Buffer): boolean {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return false;
  const head = buf.subarray(0, end).toString('latin1');
  const len = /\r\ncontent-length: *(\d+)/i.exec(head);
  return len !== null && buf.length >= end + 4 + Number(len[1]);
}

/** Writes `bytes` on a new connection and collects the answer (until close or a complete response). */
export function rawRequest(port: number, bytes: string | Buffer, timeoutMs = 3000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = buf.toString('latin1');
      const at = text.indexOf('\r\n\r\n');
      let json: unknown;
      try {
        json = at >= 0 ? JSON.parse(buf.subarray(at + 4).toString('utf8')) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ text, status: statusOf(text), json, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (complete(buf)) finish(false);
    });
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    socket.write(bytes);
  });
}

export const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

/** A WebSocket upgrade request for `path`, with headers replaced or removed (null) as given. */
export function upgradeRequest(path: string, headers: Readonly<Record<string, string | null>> = {}): string {
  const base: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': WS_KEY,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = Object.entries(base)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}: ${v}`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** One masked client frame (RFC 6455 §5.2): opcode 1 text, 2 binary, 9 ping, 10 pong. */
export function clientFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const mask = randomBytes(4);
  const len = payload.length;
  const header =
    len < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | len])
      : len < 65536
        ? Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 126, len >> 8, len & 255])
        : Buffer.concat([
            Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | 127]),
            (() => {
              const b = Buffer.alloc(8);
              b.writeBigUInt64BE(BigInt(len));
              return b;
            })(),
          ]);
  const masked = Buffer.alloc(len);
  for (let i = 0; i < len; i++) masked[i] = payload[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, mask, masked]);
}

/**
 * Completes a WebSocket handshake on a raw socket and resolves once the 101 is in. With
 * `stopReading`, the socket is then paused for good: the kernel buffers fill and the server's
 * writes back up, as with a client that hangs without closing.
 */
export function rawWebSocket(port: number, path: string, stopReading = false): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = '';
    const onData = (chunk: Buffer): void => {
      buf += chunk.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!buf.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        reject(new Error(`handshake refused: ${buf.split('\r\n')[0]}`));
        return;
      }
      if (stopReading) socket.pause();
      else socket.resume();
      resolve(socket);
    };
    socket.on('data', onData);
    socket.on('error', () => {});
    socket.once('close', () => reject(new Error('closed during the handshake')));
    socket.write(upgradeRequest(path));
  });
}
