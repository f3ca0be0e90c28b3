/**
 * The run options of the kill switch and the session: the state folder, the halt file, the
 * control port, the optional risk limits and the alert webhooks. Parsed here, one refusal per bad
 * value naming the flag, and merged into RunOptions by parseRunOptions.
 */
import { parseMoney } from '../domain/price.ts';
import { parseBps } from '../domain/money.ts';
import type { Refuse } from './common-flags.ts';
import { redactUrl } from '../config/redact-url.ts';
import { JOURNAL_FLAGS, parseJournalFlags } from './journal-flags.ts';
import type { SessionRails as SessionOptions } from '../session/session-config.ts';
import { DEFAULT_FLEET, fleetNameProblem } from '../fleet/fleet-message.ts';

export type { SessionRails as SessionOptions } from '../session/session-config.ts';

export const SESSION_FLAGS = {
  state: { type: 'string' },
  ...JOURNAL_FLAGS,
  'halt-file': { type: 'string' },
  'control-port': { type: 'string' },
  'max-orders-per-minute': { type: 'string' },
  'price-band-pct': { type: 'string' },
  'max-daily-loss': { type: 'string' },
  'max-drawdown-pct': { type: 'string' },
  'on-loss-limit': { type: 'string' },
  'margin-floor-pct': { type: 'string' },
  'max-bar-age': { type: 'string' },
  'alert-webhook': { type: 'string', multiple: true },
  'cycle-timeout': { type: 'string' },
  heartbeat: { type: 'string' },
  'max-backfill-bars': { type: 'string' },
  nats: { type: 'string' },
  'fleet-name': { type: 'string' },
  'fleet-token': { type: 'string' },
} as const;

type Values = { [K in keyof typeof SESSION_FLAGS]?: (typeof SESSION_FLAGS)[K] extends { multiple: true } ? string[] : string };

function wholeNumber(flag: string, raw: string, min: number, max: number, refuse: Refuse): number {
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) throw refuse(`${flag} ${raw}: expected a whole number from ${min} to ${max}.`);
  return n;
}

/** A percentage such as 5 or 2.5 → 1e-4 percent; above 0 and at most 100. */
function percent(flag: string, raw: string, refuse: Refuse): bigint {
  const p = parseBps(raw);
  if (p === null || p <= 0n || p > 1_000_000n)
    throw refuse(`${flag} ${raw}: expected a percentage above 0 and at most 100, with up to 4 decimals, e.g. 5 or 2.5.`);
  return p;
}

import { DEFAULT_MARGIN_FLOOR_PCT_E4 } from '../session/session-config.ts';
export { DEFAULT_MARGIN_FLOOR_PCT_E4 };

export function parseSessionOptions(v: Values, refuse: Refuse): SessionOptions {
  const money = (flag: string, raw: string): bigint => {
    const m = parseMoney(raw);
    if (m === null || m <= 0n) throw refuse(`${flag} ${raw}: expected a positive amount such as 2500.`);
    return m;
  };
  const onLoss = v['on-loss-limit'] ?? 'reducing';
  if (onLoss !== 'reducing' && onLoss !== 'halted')
    throw refuse(`--on-loss-limit ${onLoss}: expected reducing (only orders that shrink a position pass) or halted (no order passes).`);
  const hooks = (v['alert-webhook'] ?? []).map((raw) => {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw refuse(`--alert-webhook: not a URL (give the full https://... address of the incoming webhook).`);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw refuse(`--alert-webhook ${u.protocol}//${u.host}: expected an http or https URL.`);
    return raw;
  });
  const state = v.state?.trim();
  if (state === '') throw refuse("--state: name a folder for the session's state, e.g. --state ./session.");
  const nats = parseNatsUrl(v.nats, refuse);
  const fleet = parseFleetFlags(v, nats !== null, refuse);
  const haltFile = v['halt-file']?.trim();
  if (haltFile === '') throw refuse('--halt-file: name a file, e.g. --halt-file ./HALT.');
  return {
    stateDir: state ?? null,
    journal: parseJournalFlags(v, refuse),
    haltFile: haltFile ?? null,
    controlPort: v['control-port'] === undefined ? 0 : wholeNumber('--control-port', v['control-port'], 1, 65_535, refuse),
    maxOrdersPerMinute:
      v['max-orders-per-minute'] === undefined ? null : wholeNumber('--max-orders-per-minute', v['max-orders-per-minute'], 1, 1_000_000, refuse),
    priceBandPctE4: v['price-band-pct'] === undefined ? null : percent('--price-band-pct', v['price-band-pct'], refuse),
    maxDailyLoss: v['max-daily-loss'] === undefined ? null : money('--max-daily-loss', v['max-daily-loss']),
    maxDrawdownPctE4: v['max-drawdown-pct'] === undefined ? null : percent('--max-drawdown-pct', v['max-drawdown-pct'], refuse),
    onLossLimit: onLoss,
    marginFloorPctE4:
      v['margin-floor-pct'] === undefined
        ? DEFAULT_MARGIN_FLOOR_PCT_E4
        : v['margin-floor-pct'].trim() === '0'
          ? null
          : percent('--margin-floor-pct', v['margin-floor-pct'], refuse),
    maxBarAge: v['max-bar-age'] === undefined ? 2 : wholeNumber('--max-bar-age', v['max-bar-age'], 1, 1_000_000, refuse),
    alertWebhooks: hooks,
    cycleTimeoutMs: v['cycle-timeout'] === undefined ? 30_000 : wholeNumber('--cycle-timeout', v['cycle-timeout'], 0, 86_400, refuse) * 1000,
    maxBackfillBars: v['max-backfill-bars'] === undefined ? 10_000 : wholeNumber('--max-backfill-bars', v['max-backfill-bars'], 1, 1_000_000, refuse),
    heartbeatMs: v.heartbeat === undefined ? null : wholeNumber('--heartbeat', v.heartbeat, 0, 86_400, refuse) * 1000,
    nats,
    ...fleet,
  };
}

/** --fleet-name and --fleet-token: only with --nats (they say which fleet a session joins, and with what proof). */
export function parseFleetFlags(
  v: { readonly 'fleet-name'?: string; readonly 'fleet-token'?: string },
  withNats: boolean,
  refuse: Refuse,
): { fleetName: string; fleetToken: string | null } {
  for (const flag of ['fleet-name', 'fleet-token'] as const) {
    if (v[flag] !== undefined && !withNats) throw refuse(`--${flag}: only with --nats URL (the fleet's nats-server). Add --nats, or drop --${flag}.`);
  }
  const name = v['fleet-name']?.trim() ?? DEFAULT_FLEET;
  const problem = fleetNameProblem(name);
  if (problem !== null) throw refuse(`--fleet-name ${JSON.stringify(name).slice(0, 70)}: ${problem}.`);
  const token = v['fleet-token']?.trim();
  if (token === '') throw refuse("--fleet-token: name the fleet token's file, e.g. --fleet-token ~/.config/tradeloop/fleet-token.");
  return { fleetName: name, fleetToken: token ?? null };
}

/** --nats URL: the fleet's nats-server, nats:// or tls:// (its credentials never shown). */
export function parseNatsUrl(raw: string | undefined, refuse: Refuse): string | null {
  if (raw === undefined) return null;
  const text = raw.trim();
  const shown = redactUrl(text);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse(`--nats ${shown}: not a URL. Give the fleet's nats-server, e.g. --nats nats://127.0.0.1:4222.`);
  }
  if (url.protocol !== 'nats:' && url.protocol !== 'tls:') throw refuse(`--nats ${shown}: expected a nats:// or tls:// URL, e.g. nats://127.0.0.1:4222.`);
  return text;
}

export const SESSION_USAGE = `Session and kill switch:
  --state DIR              the session's state folder (created, mode 0700): persisted halts, control.json, the halt file
                           (realtime without --state uses its --out folder)
  --journal URL --session NAME  the session's journal in PostgreSQL (postgres://user@host:5432/db) under NAME, instead of
                           --state's SQLite file; NAME is locked for the session's life (a second one is refused), and
                           the same NAME resumes. Not with --state
  --halt-file PATH         present: trading HALTED (REDUCING if its first line is "reducing"); removed: lifted (default DIR/HALT)
  --control-port N         the control endpoint's port on 127.0.0.1 (default: any free port, written to DIR/control.json)
  --max-orders-per-minute N  at most N orders per 60 s of bar time (reject order_rate)
  --price-band-pct P       refuse limit orders priced more than P % from the last close (reject price_band)
  --max-daily-loss N       halt when equity is N below the day's opening equity (days in --tz)
  --max-drawdown-pct P     halt when equity is P % below the session's peak (latched: tradeloop resume --halt drawdown)
  --on-loss-limit reducing|halted   severity of a loss-limit halt (default reducing)
  --margin-floor-pct P     REDUCING (halt "margin") while equity is below P % of the gross exposure, or at or below 0;
                           marked every bar, lifted when equity is back above (default 25; 0: only equity at or below 0)
  --max-bar-age N          realtime: refuse orders from a bar more than N intervals older than the newest the feed delivered (default 2)
  --alert-webhook URL      POST each alert as JSON (Slack and Discord accept it as is); repeatable
  --max-backfill-bars N    realtime: an outage of more than N bars (a session resumed after days) is a "gap" skip
                           range, alerted, its bars never decided (default 10000)
  --heartbeat S            a status line on stderr every S seconds (default 60 in realtime when stderr is a
                           terminal; 0: off; given, it is on whatever stderr is)
  --cycle-timeout S        a cycle (the strategy's onBar) running longer than S seconds ends the process with exit
                           status 140, naming the strategy, symbol and bar (default 30; 0: off)
  --nats URL               realtime: join the fleet on this nats-server: start HALTED if the fleet is halted, apply
                           tradeloop halt|resume|flatten --fleet, answer tradeloop fleet status
  --fleet-name NAME        the fleet to join (its key-value bucket and subjects; default ${DEFAULT_FLEET})
  --fleet-token FILE       the fleet token (mode 0600; default $XDG_CONFIG_HOME/tradeloop/fleet-token, made on first use)
`;
