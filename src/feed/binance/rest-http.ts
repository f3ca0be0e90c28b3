/**
 * One GET of JSON from a Binance-like REST server, with everything the server says bounded: the
 * body is streamed under a byte limit (a server that ignores `limit`, or sends garbage forever,
 * cannot exhaust memory), the whole request has a deadline, and a 429/418 Retry-After is read as
 * seconds and kept within [1 s, 5 min] (Node fires timers past 2^31 - 1 ms at once, and a server
 * clock far off must not park the feed for days). Failures are values, never exceptions.
 */

export type RestFailure =
  | { readonly kind: 'invalid_symbol'; readonly message: string }
  | { readonly kind: 'rate_limited'; readonly retryAfterMs: number; readonly message: string }
  | { readonly kind: 'unavailable'; readonly message: string }
  /** The server answered, but not with what was asked: wrong window, no progress, bad rows, too big. */
  | { readonly kind: 'invalid_answer'; readonly message: string };

export type RestResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: RestFailure };

export const RETRY_AFTER_MIN_MS = 1_000;
export const RETRY_AFTER_MAX_MS = 5 * 60_000;
/** Without a usable Retry-After on a 429/418: Binance's own advice is to back off; a minute. */
export const RETRY_AFTER_DEFAULT_MS = 60_000;

/** Retry-After as Binance sends it (whole seconds), bounded; an HTTP-date or garbage gets the default. */
export function retryAfterMs(header: string | null): number {
  if (header === null || !/^\s*\d+\s*$/.test(header)) return RETRY_AFTER_DEFAULT_MS;
  return Math.min(RETRY_AFTER_MAX_MS, Math.max(RETRY_AFTER_MIN_MS, Number(header) * 1000));
}

export interface GetOptions {
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs: number;
  /** Bodies past this many bytes are refused (and the download stopped). */
  readonly maxBytes: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** The URL as it may be shown (credentials and tokens redacted). */
  readonly shownUrl: string;
  /** Scrubs secrets out of texts from the network stack (error messages may quote the URL). */
  readonly scrub: (text: string) => string;
}

type Body = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string };

async function readCapped(res: Response, maxBytes: number): Promise<Body> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {});
    return { ok: false, message: `the answer is ${declared} bytes, more than the ${maxBytes} allowed` };
  }
  if (!res.body) return { ok: true, text: '' };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      return { ok: false, message: `the answer passed ${maxBytes} bytes: download stopped` };
    }
    chunks.push(value);
  }
  return { ok: true, text: Buffer.concat(chunks, total).toString('utf8') };
}

function field(body: unknown, name: 'code' | 'msg'): unknown {
  return typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
}

const MAX_NESTING = 8;

/** The deepest nesting of arrays and objects in JSON text (brackets inside strings do not count); stops early past MAX_NESTING. */
export function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // a backslash escapes the next character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > max) max = depth;
      if (max > MAX_NESTING) return max;
    } else if (c === 93 || c === 125) depth--;
  }
  return max;
}

export async function getJson(url: string, o: GetOptions): Promise<RestResult<unknown>> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  const where = `GET ${o.shownUrl}`;
  const unavailable = (message: string): RestResult<unknown> => ({ ok: false, failure: { kind: 'unavailable', message: `${where}: ${o.scrub(message)}` } });
  let res: Response;
  let body: Body;
  try {
    res = await fetch(url, { signal, headers: { accept: 'application/json', ...o.headers } });
    body = await readCapped(res, o.maxBytes);
  } catch (err) {
    const cause = (err as { cause?: { message?: unknown } }).cause?.message;
    return unavailable(`${(err as Error).message}${typeof cause === 'string' ? ` (${cause})` : ''}`);
  }
  if (!body.ok) return { ok: false, failure: { kind: 'invalid_answer', message: `${where}: ${body.message}` } };
  let json: unknown = null;
  let parsed = true;
  let why = 'the answer is not JSON';
  try {
    // Binance's answers nest two deep (a list of klines); a megabyte of [[[[…]]]] is parsed into
    // half a million arrays (110 → 275 MiB RSS): refused before it is built.
    if (nestingDepth(body.text) > MAX_NESTING) {
      parsed = false;
      why = `the answer nests deeper than ${MAX_NESTING} levels: no Binance answer does`;
    } else json = JSON.parse(body.text);
  } catch {
    parsed = false;
  }
  if (res.status === 429 || res.status === 418) {
    return {
      ok: false,
      failure: { kind: 'rate_limited', retryAfterMs: retryAfterMs(res.headers.get('retry-after')), message: `${where}: HTTP ${res.status}` },
    };
  }
  const code = field(json, 'code');
  const msg = field(json, 'msg');
  const msgText = typeof msg === 'string' ? o.scrub(msg.slice(0, 200)) : '';
  if (!res.ok) {
    if (code === -1121) return { ok: false, failure: { kind: 'invalid_symbol', message: msgText || 'Invalid symbol.' } };
    return unavailable(`HTTP ${res.status}${msgText ? ` ${msgText}` : ''}`);
  }
  if (!parsed) return { ok: false, failure: { kind: 'invalid_answer', message: `${where}: ${why}` } };
  return { ok: true, value: json };
}
