/**
 * The session's local HTTP server: 127.0.0.1 only, a fixed or ephemeral port, bodies capped, and a
 * Host check so that a web page elsewhere cannot reach it by DNS rebinding. Routes are plain
 * functions (control-routes.ts); this file adapts Node's HTTP to them and never lets one throw.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { json, type HttpAnswer, type HttpRequest } from './http-types.ts';

const MAX_BODY = 16 * 1024;

export type Route = (req: HttpRequest, remote: string) => Promise<HttpAnswer>;

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

function hostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}` || host === `[::1]:${port}`;
}

export async function startHttpServer(port: number, route: Route): Promise<RunningServer> {
  let bound = 0;
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (a: HttpAnswer): void => {
      if (res.headersSent) return;
      if (a.stream) {
        res.writeHead(a.status, { ...a.headers });
        a.stream(res);
        return;
      }
      res.writeHead(a.status, { 'content-length': Buffer.byteLength(a.body), ...a.headers });
      res.end(a.body);
    };
    if (!hostAllowed(req.headers.host, bound)) {
      send(json(421, { error: 'this server answers only to 127.0.0.1 and localhost' }));
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://127.0.0.1:${bound}`);
    } catch {
      send(json(400, { error: 'bad request URL' }));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        send(json(413, { error: `the body is over ${MAX_BODY} bytes` }));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('error', () => {});
    req.on('end', () => {
      if (size > MAX_BODY) return;
      const request: HttpRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      route(request, req.socket.remoteAddress ?? '?').then(send, () => send(json(500, { error: 'internal error' })));
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
