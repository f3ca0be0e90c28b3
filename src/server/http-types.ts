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
}

export function json(status: number, value: unknown): HttpAnswer {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }, body: JSON.stringify(value, null, 2) + '\n' };
}
