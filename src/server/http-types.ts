/**
 * Requests and answers as plain values, so that every HTTP handler is a function of
 * (request, session) that a test can call in-process, and one small server adapts Node's HTTP to it.
 */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body as text (bounded by the server), '' when there is none. */
  readonly body: string;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: string;
  /** A streamed answer (Server-Sent Events): given the response after the head is written; body is unused. */
  readonly stream?: (out: StreamOut) => void;
}

/** The part of a response a stream writes to. */
export interface StreamOut {
  write(chunk: string): boolean;
  readonly writableNeedDrain: boolean;
  on(event: 'drain' | 'close', listener: () => void): unknown;
  end(): void;
  destroy(): void;
}

export function json(status: number, value: unknown): HttpAnswer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify(value, null, 2) + '\n' };
}
