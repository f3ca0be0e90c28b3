/**
 * What a fleet member says about itself: its answer to a `fleet status` request (one per live
 * session), its answer to a fleet flatten, and what the session's status, /metrics and summary
 * show of its fleet. The table `tradeloop fleet status` prints is made here too.
 */
import type { HaltSeverity, TradingStateName } from '../events/reasons.ts';

/** The fleet as one session sees it. */
export interface FleetView {
  /** The fleet's name: its key-value bucket and subjects. */
  readonly name: string;
  /** Connected to the fleet's nats-server now. */
  readonly connected: boolean;
  /** The fleet halt state this session applied: halted, reducing, resumed, or null before any was ever set. */
  readonly state: HaltSeverity | 'resumed' | null;
  /** Who set it and why, and its signed time (ms): the CLI waits for every member to report it. */
  readonly by: string | null;
  readonly reason: string | null;
  readonly at: number | null;
  readonly revision: number;
  /** Fleet commands this session applied (halt and resume changes, flattens). */
  readonly applied: number;
  /** Control messages refused: no MAC or a wrong one, for another fleet, a replay. */
  readonly refused: number;
}

export interface MemberStatus {
  /** The session's name (--session) or its run id. */
  readonly name: string;
  readonly runId: string;
  readonly strategy: string;
  readonly symbols: readonly string[];
  readonly host: string;
  readonly pid: number;
  readonly state: TradingStateName;
  /** The halts held, by reason. */
  readonly halts: readonly string[];
  /** The newest decided bar's openTime (ISO) over the session's symbols; null before any. */
  readonly lastBar: string | null;
  /** Seconds since the newest decided bar was received; null when unknown. */
  readonly lastBarAgeSeconds: number | null;
  /** Bars the session is behind the stream it reads; null when its feed does not say (Binance). */
  readonly lagBars: number | null;
  readonly equity: string;
  readonly fleet: FleetView;
}

export interface MemberFlatten {
  readonly name: string;
  readonly runId: string;
  readonly ok: boolean;
  readonly message: string;
  readonly state: TradingStateName;
}

function pad(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/** The sessions as a table for people, one a line, by name (the exact figures are in --json). */
export function formatFleetTable(members: readonly MemberStatus[]): string {
  const rows: string[][] = [['NAME', 'STRATEGY', 'STATE', 'HALTS', 'LAST BAR', 'AGE', 'LAG', 'EQUITY', 'HOST']];
  for (const m of [...members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const equity = Number(m.equity);
    rows.push([
      m.name,
      m.strategy,
      m.state,
      m.halts.join(',') || '-',
      m.lastBar === null ? '-' : m.lastBar.replace(/:00\.000Z$/, 'Z'),
      m.lastBarAgeSeconds === null ? '-' : `${m.lastBarAgeSeconds}s`,
      m.lagBars === null ? '-' : String(m.lagBars),
      Number.isFinite(equity) ? equity.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }) : m.equity,
      `${m.host}:${m.pid}`,
    ]);
  }
  return `${pad(rows)}\n`;
}
