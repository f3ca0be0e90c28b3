/**
 * URLs as they may be shown: in stdout, stderr, events.ndjson and error messages. A --ws-url or
 * --rest-url may carry credentials (`wss://user:pass@host`) or tokens in its query string
 * (`?token=...&key=...`); these were written verbatim to every log. The real URL is still the one
 * connected to; only what is shown is redacted.
 *
 * Works on the text itself (no URL parsing), so an unparseable URL in a refusal is redacted too,
 * and a shown URL keeps its original form apart from the secrets.
 */

/** Query parameters this program adds itself (Binance market data): no secret, shown as they are. */
const PLAIN_PARAMS = new Set(['symbol', 'interval', 'startTime', 'endTime', 'limit', 'streams', 'timeUnit', 'timeZone']);
const HIDDEN = '***';

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

interface Parts {
  readonly scheme: string;
  readonly userinfo: string | null;
  readonly rest: string;
  readonly query: string | null;
  readonly fragment: string | null;
}

function split(url: string): Parts {
  const hashAt = url.indexOf('#');
  const fragment = hashAt >= 0 ? url.slice(hashAt + 1) : null;
  const noHash = hashAt >= 0 ? url.slice(0, hashAt) : url;
  const queryAt = noHash.indexOf('?');
  const query = queryAt >= 0 ? noHash.slice(queryAt + 1) : null;
  const noQuery = queryAt >= 0 ? noHash.slice(0, queryAt) : noHash;
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(noQuery)?.[0] ?? '';
  const afterScheme = noQuery.slice(scheme.length);
  // Userinfo ends at the last '@' before the path (a password may itself hold '@').
  const pathAt = afterScheme.search(/[/\\]/);
  const authority = pathAt >= 0 ? afterScheme.slice(0, pathAt) : afterScheme;
  const at = authority.lastIndexOf('@');
  return {
    scheme,
    userinfo: at >= 0 ? authority.slice(0, at) : null,
    rest: at >= 0 ? afterScheme.slice(at + 1) : afterScheme,
    query,
    fragment,
  };
}

/** The URL with userinfo, secret-bearing query values and fragment replaced by ***. */
export function redactUrl(url: string): string {
  const p = split(url);
  let out = `${p.scheme}${p.userinfo !== null ? `${HIDDEN}@` : ''}${p.rest}`;
  if (p.query !== null) {
    out +=
      '?' +
      p.query
        .split('&')
        .map((pair) => {
          const eq = pair.indexOf('=');
          if (eq < 0) return pair === '' ? '' : HIDDEN;
          return PLAIN_PARAMS.has(decode(pair.slice(0, eq))) ? pair : `${pair.slice(0, eq)}=${HIDDEN}`;
        })
        .join('&');
  }
  if (p.fragment !== null) out += `#${HIDDEN}`;
  return out;
}

/** The secret texts of a URL (raw and decoded): what must never appear in anything shown. */
export function urlSecrets(url: string, o: SecretOptions = {}): string[] {
  const p = split(url);
  const out = new Set<string>();
  const add = (s: string): void => {
    // Shorter texts would blank out ordinary words in messages; they are not worth the guess.
    for (const v of [s, decode(s)]) if (v.length >= 3) out.add(v);
  };
  if (p.userinfo !== null) {
    const colon = p.userinfo.indexOf(':');
    if (!o.userIsName) {
      add(p.userinfo);
      if (colon >= 0) add(p.userinfo.slice(0, colon));
    }
    if (colon >= 0) add(p.userinfo.slice(colon + 1));
  }
  for (const pair of p.query?.split('&') ?? []) {
    const eq = pair.indexOf('=');
    if (eq < 0) add(pair);
    else if (!PLAIN_PARAMS.has(decode(pair.slice(0, eq)))) add(pair.slice(eq + 1));
  }
  if (p.fragment !== null) add(p.fragment);
  return [...out].sort((a, b) => b.length - a.length);
}

export interface SecretOptions {
  /**
   * The userinfo's user is a name, not a secret (PostgreSQL: a server's refusal names the role, and
   * the operator must see which). Elsewhere a bare userinfo may be a token (`nats://TOKEN@host`).
   */
  readonly userIsName?: boolean;
}

/** A function that removes every secret of these URLs from a text (for texts we did not build). */
export function secretScrubber(urls: readonly string[], o: SecretOptions = {}): (text: string) => string {
  const secrets = [...new Set(urls.flatMap((u) => urlSecrets(u, o)))].sort((a, b) => b.length - a.length);
  if (secrets.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const s of secrets) out = out.split(s).join(HIDDEN);
    return out;
  };
}
