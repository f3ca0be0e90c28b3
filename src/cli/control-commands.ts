/**
 * `tradeloop status|halt|resume|flatten --state DIR`: talk to the session running at DIR through
 * its control.json (URL, token, pid). Exit 0 with a line saying what changed (or that nothing
 * did); 1 when the session refused (a halt only its own source may lift) or a resume left trading
 * other than ACTIVE; 2 on usage errors; 3 when no session is running there.
 */
import { TradeloopError } from '../errors.ts';
import { parseHaltReason } from '../session/apply-command.ts';
import type { CommandResult } from '../session/commands.ts';
import { pidAlive, readControlInfo, StateDirError, type ControlInfo } from '../session/state-dir.ts';
import type { SessionStatus } from '../session/status.ts';
import { parseFlags, parseSymbols } from './common-flags.ts';
import type { CliIo } from './cli-io.ts';
import { UsageError } from './usage-error.ts';
import { EXIT } from './exit-codes.ts';
import { restingTerms } from '../broker/book-view.ts';
import { FLEET_CONTROL_USAGE } from './fleet-usage.ts';

export const NO_SESSION_EXIT = EXIT.noSession;

export const CONTROL_USAGE: Readonly<Record<string, string>> = {
  status:
    'Usage: tradeloop status --state DIR [--json]\n  The session at DIR: trading state, halts held (and how each is lifted), positions, resting orders, cash, equity, feed, last bars, latency.\n  (A fleet: tradeloop fleet status --nats URL.)\n',
  halt: `Usage: tradeloop halt --state DIR [--reason TEXT] [--reducing]\n  Halt trading now (every new order refused, resting orders cancelled); --reducing lets only orders that shrink a position pass.\n${FLEET_CONTROL_USAGE.halt}`,
  resume: `Usage: tradeloop resume --state DIR [--halt REASON]\n  Lift the operator halt, or a latched halt named by --halt (drawdown, strategy_error). Feed halts lift themselves; the flag halt needs a restart.\n${FLEET_CONTROL_USAGE.resume}`,
  flatten: `Usage: tradeloop flatten --state DIR [--symbols A,B]\n  Cancel resting orders and close every position (or those named) with market orders, even while HALTED.\n${FLEET_CONTROL_USAGE.flatten}`,
};

/** No session answers at --state: exit 3 (TL_NO_SESSION), so a script can tell it from a refused command. */
class NoSession extends TradeloopError {
  constructor(message: string) {
    super('TL_NO_SESSION', message);
  }
}

function usage(command: string): (m: string) => UsageError {
  return (m) => new UsageError(`${m}\n${CONTROL_USAGE[command]}`);
}

function sessionAt(dir: string): ControlInfo {
  let info: ControlInfo | null;
  try {
    info = readControlInfo(dir);
  } catch (err) {
    if (err instanceof StateDirError) throw new UsageError(err.message);
    throw err;
  }
  if (info === null) throw new NoSession(`no session is running at --state ${dir} (no control.json there). Start one with tradeloop run ... --state ${dir}.`);
  if (!pidAlive(info.pid))
    throw new NoSession(`no session is running at --state ${dir}: control.json names pid ${info.pid}, which is not running (it stopped without cleaning up).`);
  return info;
}

async function call(info: ControlInfo, dir: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; value: unknown }> {
  let res: Response;
  try {
    res = await fetch(`${info.url}${path}`, {
      method,
      signal: AbortSignal.timeout(10_000),
      headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new NoSession(`the session at --state ${dir} (pid ${info.pid}) does not answer at ${info.url}: ${(err as Error).message}.`);
  }
  return { status: res.status, value: await res.json().catch(() => null) };
}

/** Money for people: two decimals and thousands separators (the exact figures are in --json). */
function money(text: string): string {
  const n = Number(text);
  return Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : text;
}

export function formatStatus(s: SessionStatus): string {
  const lines = [`session ${s.runId} (${s.mode}, pid ${s.pid}, since ${s.startedAt})`, `  trading   ${s.state}`];
  if (s.halts.length === 0) lines.push('  halts     none');
  for (const h of s.halts)
    lines.push(`  halt      ${h.reason} (${h.source}, ${h.severity}${h.since ? `, since ${h.since}` : ''}): ${h.detail}\n            lifted by: ${h.lifted}`);
  lines.push(`  equity    ${money(s.equity)}   cash ${money(s.cash)}   gross exposure ${money(s.grossExposure)}   (start ${money(s.startEquity)})`);
  for (const p of s.positions)
    lines.push(
      `  position  ${p.symbol} ${p.qty} entry ${p.entryPrice}, last ${p.lastPrice}   value ${money(p.marketValue)}   unrealized ${money(p.unrealizedPnl)}`,
    );
  if (s.positions.length === 0) lines.push('  positions none');
  for (const o of s.restingOrders) lines.push(`  resting   ${o.orderId} ${o.side} ${o.qty} ${o.symbol} ${restingTerms(o)}`);
  const c = s.counts;
  lines.push(
    `  counts    bars ${c.bars}  decisions ${c.decisions}  orders ${c.orders}  fills ${c.fills}  rejects ${c.rejects}  cancels ${c.cancels}  skips ${c.skips}  alerts ${c.alerts}`,
  );
  if (s.feed) {
    lines.push(`  feed      ${s.feed.state ?? 'starting'}`);
    for (const k of s.feed.connections)
      lines.push(
        `  conn ${k.id}    ${k.state}${k.stale ? ' (stale)' : ''}${k.lastMessageAgoSeconds === null ? '' : `, last message ${k.lastMessageAgoSeconds} s ago`}`,
      );
    const st = s.feed.stream;
    if (st)
      lines.push(
        `  stream    ${st.name} on ${st.server}: read through seq ${st.readThrough ?? 'none yet'}, ${st.lag} behind; publishers heard ${st.publishers}, last heartbeat ${st.heartbeatAgeSeconds === null ? 'never' : `${st.heartbeatAgeSeconds} s ago`}`,
      );
  }
  for (const [symbol, b] of Object.entries(s.lastBar))
    lines.push(
      `  last bar  ${symbol} ${b === null ? 'none yet' : `${b.openTime}${b.receivedSecondsAgo === undefined ? '' : ` (received ${b.receivedSecondsAgo} s ago)`}`}`,
    );
  if (s.latencyP99Ms)
    lines.push(
      `  latency   p99 total ${s.latencyP99Ms.total?.toFixed(1)} ms   network ${s.latencyP99Ms.network?.toFixed(1)} ms   pipeline ${s.latencyP99Ms.pipeline?.toFixed(2)} ms`,
    );
  if (s.haltFile) lines.push(`  halt file ${s.haltFile}`);
  if (s.fleet) {
    const f = s.fleet;
    lines.push(
      `  fleet     ${f.name}${f.connected ? '' : ' (NOT connected)'}: ${f.state ?? 'never halted'}${f.by ? ` by ${f.by}` : ''}${f.at !== null ? ` at ${new Date(f.at).toISOString()}` : ''}${f.reason ? ` (${f.reason})` : ''}; ${f.applied} applied, ${f.refused} refused`,
    );
  }
  return lines.join('\n') + '\n';
}

function formatResult(r: CommandResult): string {
  const held = r.halts.length === 0 ? '' : `\n  held: ${r.halts.map((h) => `${h.reason} (${h.lifted})`).join('; ')}`;
  return `${r.message}${held}\n`;
}

export async function controlCommand(command: string, argv: readonly string[], io: CliIo): Promise<number> {
  const refuse = usage(command);
  const parsed = parseFlags(
    argv,
    {
      help: { type: 'boolean', short: 'h' },
      state: { type: 'string' },
      json: { type: 'boolean' },
      reason: { type: 'string' },
      reducing: { type: 'boolean' },
      halt: { type: 'string' },
      symbols: { type: 'string' },
      fleet: { type: 'boolean' },
      nats: { type: 'string' },
      'fleet-name': { type: 'string' },
      'fleet-token': { type: 'string' },
      wait: { type: 'string' },
    },
    refuse,
  );
  const v = parsed.values;
  if (v.help) {
    io.stdout(CONTROL_USAGE[command]!);
    return 0;
  }
  if (v.fleet) {
    if (command === 'status') throw refuse('tradeloop status --fleet: the fleet has a command of its own: tradeloop fleet status --nats URL.');
    for (const k of ['state', 'halt', 'symbols', 'json'] as const) {
      if (v[k] !== undefined)
        throw refuse(
          `--${k} does not apply with --fleet: the command goes to every session of the fleet${k === 'halt' ? ' and lifts the fleet halt only' : k === 'symbols' ? ', each flattening all it holds' : ''}.`,
        );
    }
    const { fleetControlCommand } = await import('./fleet-command.ts');
    return fleetControlCommand(command as 'halt' | 'resume' | 'flatten', v, io, refuse);
  }
  for (const k of ['nats', 'fleet-name', 'fleet-token', 'wait'] as const) {
    if (v[k] !== undefined) throw refuse(`--${k}: only with --fleet (tradeloop ${command} --fleet --nats URL), which acts on every session of the fleet.`);
  }
  const allowed: Record<string, string[]> = { status: ['json'], halt: ['reason', 'reducing'], resume: ['halt'], flatten: ['symbols'] };
  for (const k of ['json', 'reason', 'reducing', 'halt', 'symbols'] as const) {
    if (v[k] !== undefined && !allowed[command]!.includes(k)) throw refuse(`--${k} does not apply to tradeloop ${command}.`);
  }
  const dir = v.state;
  if (!dir) throw refuse(`tradeloop ${command} needs --state DIR: the state folder of the running session (its --state, or a realtime run's --out folder).`);
  let body: Record<string, unknown> | undefined;
  if (command === 'halt') body = { ...(v.reason !== undefined ? { reason: v.reason } : {}), reducing: v.reducing === true };
  if (command === 'resume' && v.halt !== undefined) {
    if (parseHaltReason(v.halt) === null)
      throw refuse(`--halt ${v.halt}: not a halt reason. Name the one to lift, e.g. --halt drawdown (tradeloop status lists those held).`);
    body = { halt: v.halt };
  }
  if (command === 'flatten') body = v.symbols === undefined ? {} : { symbols: parseSymbols(v.symbols, refuse) };
  try {
    const info = sessionAt(dir);
    if (command === 'status') {
      const { status, value } = await call(info, dir, 'GET', '/status');
      if (status !== 200) throw new NoSession(`the session at --state ${dir} answered ${status} to /status.`);
      io.stdout(v.json ? JSON.stringify(value, null, 2) + '\n' : formatStatus(value as SessionStatus));
      return 0;
    }
    const { status, value } = await call(info, dir, 'POST', `/control/${command}`, body ?? {});
    if (status === 401) {
      io.stderr(`tradeloop: the session at --state ${dir} refused the token in control.json (it was restarted? read it again)\n`);
      return 1;
    }
    if (status === 400) {
      io.stderr(`tradeloop: ${(value as { error?: string } | null)?.error ?? 'bad request'}\n`);
      return 2;
    }
    const result = value as CommandResult;
    if (!result || typeof result.message !== 'string') throw new NoSession(`the session at --state ${dir} answered ${status} without a result.`);
    // A resume that leaves trading halted did not do what `resume && …` in a script expects.
    const ok = result.ok && !(command === 'resume' && result.state !== 'ACTIVE');
    (ok ? io.stdout : io.stderr)(
      formatResult(result) + (ok === result.ok ? '' : `trading is still ${result.state}: the halts above hold until their own source lifts them\n`),
    );
    return ok ? 0 : 1;
  } catch (err) {
    if (err instanceof NoSession) {
      io.stderr(`tradeloop: ${err.message}\n`);
      return NO_SESSION_EXIT;
    }
    throw err;
  }
}
