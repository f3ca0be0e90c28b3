/**
 * The session's HTTP surface: read-only GET /status for anyone on this machine (as Prometheus
 * scrapes loopback), and POST /control/{halt,resume,flatten} only with the bearer token generated
 * at start. A missing or wrong token gets 401 and nothing else; it is counted and alerted.
 */
import { timingSafeEqual } from 'node:crypto';
import { parseHaltReason } from '../session/apply-command.ts';
import type { Command } from '../session/commands.ts';
import type { Session } from '../session/session.ts';
import { json, type HttpAnswer, type HttpRequest } from './http-types.ts';

export interface ControlAuth {
  readonly token: string;
  /** A request with a missing or wrong token (the server rate-limits the alert). */
  onRefused(remote: string): void;
}

function tokenOk(req: HttpRequest, token: string): boolean {
  const header = req.headers.authorization;
  const text = Array.isArray(header) ? header[0] : header;
  const m = /^Bearer\s+(\S+)$/i.exec(text ?? '');
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const want = Buffer.from(token);
  // Constant time: the answer must not reveal how much of a guess was right.
  return given.length === want.length && timingSafeEqual(given, want);
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
      return { kind: 'halt', detail: typeof reason === 'string' && reason.trim() !== '' ? reason.trim().slice(0, 200) : null, reducing: body.reducing === true };
    }
    case 'resume': {
      if (body.halt === undefined || body.halt === null) return { kind: 'resume', halt: null };
      const halt = typeof body.halt === 'string' ? parseHaltReason(body.halt) : null;
      return halt === null ? `halt must name a halt reason, e.g. operator or drawdown, got ${JSON.stringify(body.halt).slice(0, 40)}` : { kind: 'resume', halt };
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

export async function handleControl(req: HttpRequest, session: Session, auth: ControlAuth, remote: string): Promise<HttpAnswer> {
  if (req.path === '/status') {
    if (req.method !== 'GET') return json(405, { error: 'GET /status' });
    return json(200, session.status());
  }
  const m = /^\/control\/([a-z]+)$/.exec(req.path);
  if (!m) return json(404, { error: 'not found' });
  if (!tokenOk(req, auth.token)) {
    auth.onRefused(remote);
    return json(401, { error: 'unauthorized' });
  }
  if (req.method !== 'POST') return json(405, { error: `POST ${req.path}` });
  const body = parseBody(req.body);
  if (typeof body === 'string') return json(400, { error: body });
  const command = commandOf(m[1]!, body, session.options.symbols);
  if (typeof command === 'string') return json(400, { error: command });
  const result = await session.submit(command);
  return json(result.ok ? 200 : 409, result);
}
