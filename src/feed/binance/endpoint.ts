/**
 * Request URLs built from a user's base URL without losing what it carries: a query string
 * (tokens) is kept and our parameters appended after it, and credentials (`user:pass@`) become an
 * Authorization header for REST, since fetch refuses URLs with credentials. ws takes them from the
 * URL itself. Plain string work: stream names keep their `@` and `/` as Binance's examples show.
 */

function splitBase(base: string): { head: string; query: string } {
  const noHash = base.split('#')[0]!;
  const at = noHash.indexOf('?');
  const head = (at >= 0 ? noHash.slice(0, at) : noHash).replace(/\/+$/, '');
  return { head, query: at >= 0 ? noHash.slice(at + 1) : '' };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** base + path, its own query first, then `query` (already encoded). */
export function joinUrl(base: string, path: string, query: string): string {
  const b = splitBase(base);
  const q = [b.query, query].filter((s) => s !== '').join('&');
  return `${b.head}${path}${q ? `?${q}` : ''}`;
}

/** A REST request: the URL without credentials, and the header that carries them instead. */
export function restRequest(url: string): { url: string; headers: Record<string, string> } {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)@/.exec(url);
  if (!m) return { url, headers: {} };
  const userinfo = m[2]!;
  const colon = userinfo.indexOf(':');
  const user = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
  const pass = colon >= 0 ? decode(userinfo.slice(colon + 1)) : '';
  return {
    url: m[1]! + url.slice(m[0].length),
    headers: { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` },
  };
}
