/**
 * The replay server's HTTP listener, hardened: whatever a client sends (garbage, a request line
 * that does not parse, a huge header, a URL new URL() refuses, a handler that throws), it gets an
 * error answer or a close, and the process never sees an exception. Sockets are capped, and slow or
 * idle ones time out, so no client can hold the server's memory.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

export interface HttpHandlers {
  /** REST; may throw (answered 500 with Binance's -1000). */
  request(req: IncomingMessage, res: ServerResponse): void;
  /** A WebSocket upgrade; may throw (answered 400). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** A request that could not be parsed or answered normally. */
  badRequest(remote: string, reason: string): void;
  /** A socket turned away; status null: closed without an answer. */
  refused(remote: string, path: string, status: number | null, reason: string): void;
}

export interface HttpLimits {
  /** TCP sockets in all (WebSocket and REST); beyond it a new socket is closed at once. */
  readonly maxSockets: number;
}

/** Node's request-line/header bound (16 KiB) stays; these cut sockets that send nothing useful. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

const STATUS_FOR: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};

const REASON: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function remoteOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

/** A raw HTTP answer on a socket that is not (or no longer) an HTTP exchange Node manages; then closed. */
export function answerRaw(socket: Duplex, status: number, body: string, contentType = 'application/json;charset=UTF-8'): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // Destroyed once the answer is flushed: end() alone would hold the socket until the peer closes its side, which it may never do.
  socket.end(
    `HTTP/1.1 ${status} ${REASON[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: ${contentType}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}

/** The error body Binance's REST uses, {"code","msg"}; -1 for refusals Binance has no code for. */
export function errorBody(code: number, msg: string): string {
  return JSON.stringify({ code, msg });
}

export function createReplayHttp(handlers: HttpHandlers, limits: HttpLimits): Server {
  const http = createServer({ headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: 1000 }, (req, res) => {
    try {
      handlers.request(req, res);
    } catch (err) {
      handlers.badRequest(remoteOf(req.socket), `${req.method} ${req.url}: ${(err as Error).message}`);
      if (res.headersSent) res.destroy();
      else {
        const body = errorBody(-1000, 'An unknown error occurred while processing the request.');
        res.writeHead(500, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(body), connection: 'close' });
        res.end(body);
      }
    }
  });
  http.maxConnections = limits.maxSockets;
  http.on('drop', (data?: { remoteAddress?: string; remotePort?: number }) => {
    handlers.refused(remoteOf(data ?? {}), '-', null, `more than ${limits.maxSockets} sockets open; closed at once`);
  });
  // Without this listener Node answers a bare 400; with it every malformed request gets a JSON body and is logged.
  http.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const code = err.code ?? 'unknown';
    if (code !== 'ECONNRESET') handlers.badRequest(remoteOf(socket as Duplex & { remoteAddress?: string }), `malformed HTTP (${code})`);
    // A response already under way on a kept-alive socket cannot take a second one; just close it.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (code === 'ECONNRESET' || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const status = STATUS_FOR[code] ?? 400;
    answerRaw(
      socket,
      status,
      errorBody(
        -1,
        `Malformed HTTP request (${code}). The replay server takes HTTP/1.1 GET requests ` +
          'to /api/v3/klines, /api/v3/time, /api/v3/ping, and WebSocket upgrades to /ws/<streams> and /stream?streams=.',
      ),
    );
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Errors on a socket being upgraded (a reset mid-handshake) must not reach the process.
    socket.on('error', () => {});
    try {
      handlers.upgrade(req, socket, head);
    } catch (err) {
      handlers.badRequest(remoteOf(req.socket), `upgrade ${req.url}: ${(err as Error).message}`);
      answerRaw(socket, 400, 'the upgrade request could not be handled', 'text/plain');
    }
  });
  return http;
}
