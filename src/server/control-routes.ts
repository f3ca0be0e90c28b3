/**
 * The session's HTTP surface: read-only GET /status for anyone on this machine (as Prometheus
 * scrapes loopback), and POST /control/{halt,resume,flatten} only with the bearer token generated
 * at start. A missing or wrong token gets 401 and nothing else; it is counted and alerted.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { parseHaltReason } from '../session/apply-command.ts';
import type { Command } from '../session/commands.ts';
import type { Session } from '../session/session.ts';
import { json, type HttpAnswer, type HttpRequest } from './http-types.ts';

export interface ControlAuth {
  readonly token: string;
  /** A request with a missing or wrong token (the server rate-limits the alert). */
  onRefused(remote: string, why?: string): void;
  /** Monotonic ms, for the one-time codes' lifetime. */
  now(): number;
}

/** How long a one-time dashboard code may wait to be exchanged. */
export const CODE_TTL_MS = 60_000;

/**
 * One-time codes for `tradeloop dashboard --open`: the opener's command line is readable by every
 * local user (/proc/PID/cmdline), so the browser is handed a code, not the token. The page trades
 * it once, within a minute, for a token of its own; a code tried twice is alerted (someone else may
 * have read it).
 */
export class DashboardCodes {
  private readonly codes = new Map<string, number>();
  private readonly sessions: Buffer[] = [];

  issue(now: number): string {
    for (const [code, at] of this.codes) if (now - at > CODE_TTL_MS) this.codes.delete(code);
    const code = randomBytes(16).toString('base64url');
    this.codes.set(code, now);
    return code;
  }

  /** The page's token for a valid, unused code; null otherwise (the code is spent either way). */
  exchange(code: string, now: number): string | null {
    const at = this.codes.get(code);
    this.codes.delete(code);
    if (at === undefined || now - at > CODE_TTL_MS) return null;
    const token = randomBytes(32).toString('base64url');
    this.sessions.push(Buffer.from(token));
    return token;
  }

  accepts(given: Buffer): boolean {
    let ok = false;
    for (const t of this.sessions) ok = (given.length === t.length && timingSafeEqual(given, t)) || ok;
    return ok;
  }
}

function tokenOk(req: HttpRequest, token: string, codes: DashboardCodes): boolean {
  const header = req.headers.authorization;
  const text = Array.isArray(header) ? header[0] : header;
  const m = /^Bearer\s+(\S+)$/i.exec(text ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const want = Buffer.from(token);
  // Constant time: the answer must not reveal how much of a guess was right.
  return (given.length === want.length && timingSafeEqual(given, want)) || codes.accepts(given);
}

function parseBody(body: string): Record<string, unknown> | string {
  if (body.trim() === '') return {};
  try {
    const v = JSON.parse(body) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : 'the body must be a JSON object';
  } catch {
    return 'the body is not JSON';
  }
}

/** A control request's body → a command, or the reason it is not one. */
export function commandOf(action: string, body: Record<string, unknown>, symbols: readonly string[]): Command | string {
  switch (action) {
    case 'halt': {
      const reason = body.reason;
      if (reason !== undefined && typeof reason !== 'string') return 'reason must be a string';
      if (body.reducing !== undefined && typeof body.reducing !== 'boolean') return 'reducing must be true or false';
      return {
        kind: 'halt',
        detail: typeof reason === 'string' && reason.trim() !== '' ? reason.trim().slice(0, 200) : null,
        reducing: body.reducing === true,
      };
    }
    case 'resume': {
      if (body.halt === undefined || body.halt === null) return { kind: 'resume', halt: null };
      const halt = typeof body.halt === 'string' ? parseHaltReason(body.halt) : null;
      return halt === null
        ? `halt must name a halt reason, e.g. operator or drawdown, got ${JSON.stringify(body.halt).slice(0, 40)}`
        : { kind: 'resume', halt };
    }
    case 'flatten': {
      if (body.symbols === undefined || body.symbols === null) return { kind: 'flatten', symbols: null };
      if (!Array.isArray(body.symbols) || !body.symbols.every((s) => typeof s === 'string')) return 'symbols must be a list of symbols';
      const list = [...new Set((body.symbols as string[]).map((s) => s.trim().toUpperCase()).filter((s) => s !== ''))];
      const unknown = list.filter((s) => !symbols.includes(s));
      if (unknown.length > 0) return `not a symbol of this session: ${unknown.map((u) => u.slice(0, 30)).join(', ')} (it trades ${symbols.join(',')})`;
      return { kind: 'flatten', symbols: list };
    }
    default:
      return `no such control action: ${action.slice(0, 40)}`;
  }
}

export async function handleControl(req: HttpRequest, session: Session, auth: ControlAuth, remote: string, codes: DashboardCodes): Promise<HttpAnswer> {
  if (req.path === '/status') {
    if (req.method !== 'GET') return json(405, { error: 'GET /status' });
    return json(200, session.status());
  }
  if (req.path === '/dashboard/session') {
    if (req.method !== 'POST') return json(405, { error: 'POST /dashboard/session' });
    const asked = parseBody(req.body);
    const code = typeof asked === 'string' ? null : asked.code;
    const token = typeof code === 'string' ? codes.exchange(code, auth.now()) : null;
    if (token === null) {
      auth.onRefused(remote, 'a dashboard code that was used already, expired or never issued (if you did not reuse a link, someone else may have read it)');
      return json(401, { error: 'this dashboard link was used already or has expired: run tradeloop dashboard --state DIR --open again' });
    }
    return json(200, { token });
  }
  const m = /^\/control\/([a-z-]+)$/.exec(req.path);
  if (!m) return json(404, { error: 'not found' });
  if (!tokenOk(req, auth.token, codes)) {
    auth.onRefused(remote);
    return json(401, { error: 'unauthorized' });
  }
  if (req.method !== 'POST') return json(405, { error: `POST ${req.path}` });
  if (m[1] === 'dashboard-code') return json(200, { code: codes.issue(auth.now()), expiresInSeconds: CODE_TTL_MS / 1000 });
  const body = parseBody(req.body);
  if (typeof body === 'string') return json(400, { error: body });
  const command = commandOf(m[1]!, body, session.options.symbols);
  if (typeof command === 'string') return json(400, { error: command });
  const result = await session.submit(command);
  return json(result.ok ? 200 : 409, result);
}
