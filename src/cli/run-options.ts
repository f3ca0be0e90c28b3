/**
 * `tradeloop run` options: parsed with util.parseArgs, checked, and turned into one typed value.
 * Every refusal names the flag and the value and says what to use instead.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { INTERVALS, nominalIntervalMs } from '../domain/interval.ts';
import { parseMoney } from '../domain/price.ts';
import { parseBps } from '../domain/money.ts';
import { isValidTimeZone, parseTimestamp, ZoneOffsets } from '../domain/time.ts';
import { defaultLotStep, makeInstrument, type Instrument } from '../broker/instrument.ts';
import { DEFAULT_PARTICIPATION_E8, parseParticipation, participationNumber } from '../broker/participation.ts';
import { defaultFeeRates, type FeeRates } from '../broker/fees.ts';
import { UsageError } from './usage-error.ts';
import { keyValues, parseFiles, parseFlags, parseInterval, parseSymbols } from './common-flags.ts';
import type { SessionConfig } from '../session/session-config.ts';
import { parseSessionOptions, SESSION_FLAGS, SESSION_USAGE } from './session-options.ts';
import { numberFlag } from './flag-numbers.ts';
import { parseExchangeFlags } from './exchange-flags.ts';
import { parseFeedChoice } from './feed-options.ts';

import type { DateFormat, EventsMode } from '../session/session-config.ts';
export type { DateFormat, EventsMode, Network, SourceKind } from '../session/session-config.ts';
/** Flags of one mode only: given with the other, they are refused by name rather than ignored. */
// --tz is both: zone-less timestamps in csv, and the trading day of --max-daily-loss in either mode.
/** The synthetic bars that come with tradeloop, wherever it is installed. */
const BUNDLED_SAMPLE = fileURLToPath(new URL('../../data/sample', import.meta.url));

const CSV_ONLY = ['from', 'to', 'data', 'file', 'bar-label', 'on-bad-row', 'max-skip-ratio', 'date-format'] as const;
const REALTIME_ONLY = [
  'network',
  'ws-url',
  'rest-url',
  'stale-after',
  'stale-alert-after',
  'latency-alert-ms',
  'slice-grace-ms',
  'queue-size',
  'ping-interval',
  'max-bar-age',
  'max-backfill-bars',
  'nats',
] as const;

/** --minutes: realtime runs a timer of wall-clock time (one year at most); csv counts bar time (100 years). */
const MAX_MINUTES = { realtime: 525_600, csv: 52_560_000 } as const;
import { DEFAULT_MAX_SKIP_RATIO } from '../session/session-config.ts';
export { DEFAULT_MAX_SKIP_RATIO };

export type RunOptions = SessionConfig;

export { NETWORKS } from './exchange-flags.ts';

export const RUN_USAGE = `Usage: tradeloop run --source csv|realtime|nats [options]

Data (csv):
  --symbols A,B            symbols, in tie-break order (csv default: those of --file, else SPY,QQQ; realtime BTCUSDT,ETHUSDT)
  --data DIR               folder holding <SYMBOL>.csv files (default data/sample)
  --file SYMBOL=PATH       a file for a symbol; repeatable, several files of one symbol merge in time order
  --from ISO               start of the run window; earlier bars only warm up the strategy
  --to ISO                 end of the run window (csv): bars opening before it are decided, later ones are not read
  --minutes N              run N minutes of bar time (csv, up to 52560000) or of wall-clock time (realtime, up to 525600)
  --tz ZONE                zone of timestamps written without one (default UTC), e.g. America/New_York
  --bar-label start|end    whether timestamps label the bar's start (default) or its end
  --interval I             bar interval (default 1m): ${INTERVALS.join(' ')}
  --on-bad-row fail|skip   stop at a malformed row (default) or skip it with a skip event
  --max-skip-ratio R       stop when a file's skipped rows are more than this fraction of its rows (default 0.01 = 1%)
  --date-format dmy|mdy|ymd  how to read day/month-first dates such as 03/09/2026 (refused as ambiguous without it)
Strategy and broker:
  --strategy NAME|PATH     sma-cross (default: long when SMA fast crosses above slow), buy-and-hold (buys pct=45 %
                           of equity per symbol on its first bar, holds), hold (never trades: a baseline for
                           measuring the loop), or a module path such as ./my-strategy.ts
  --param k=v              strategy parameter; repeatable (sma-cross: fast, slow, pct, short)
  --cash N                 starting cash (default 100000)
  --fee-bps N              fee in basis points of notional, maker and taker alike (default: 10 for crypto
                           pairs, Binance spot's standard rate; 1 for anything else)
  --maker-fee-bps N        fee of a limit that rested and was filled (instead of --fee-bps)
  --taker-fee-bps N        fee of what took liquidity: market, stop, trailing stop, a stop-limit filled on its
                           trigger bar, a flatten (instead of --fee-bps); either one alone leaves the other at its default
  --slippage-bps N         market orders fill this far past their price, against the order (default 1)
  --fill-model next-open|close  a market order decided on a bar fills at the next bar's open (default),
                           or at that bar's own close (optimistic: the signal already saw that close)
  --max-participation R    a bar fills at most R of its volume per symbol, 0 < R <= 1 (default 0.1);
                           what it leaves of an order keeps working on the next bars
  --max-position-notional N  per-symbol limit on |position| x price (default: half of --cash)
  --max-gross-exposure N   limit on the sum over symbols (default: --cash)
  --lot SYMBOL=STEP        lot step, a power of ten (default 1 for shares, 0.00001 for crypto pairs)
Output:
  --out DIR                artifacts folder (default runs/<run-id>)
  --events all|trading     events.ndjson: every event (default), or all but the per-bar bar lines and hold decisions
  --quiet                  one line on stdout instead of the summary: run id, verdict, artifacts folder
Realtime (needs FLAG_REALTIME=1):
  --network production|testnet   Binance endpoints (default production; market data only, no keys)
  --ws-url URL --rest-url URL    any other server, e.g. a tradeloop replay-server
  --stale-after S          no message for S seconds (1-3600): feed stale, trading halted (default 5)
  --stale-alert-after S    stale this long (1-86400 s): alert (default 10, or 2 x --stale-after if higher)
  --latency-alert-ms N     total latency above N ms (1-600000): alert (default 1000)
  --slice-grace-ms N       wait this long (1-600000 ms) for the other symbols' bars of a minute (default 1500)
  --queue-size N           closed bars held for the loop before the socket is paused (1-1000000, default 10000)
  --ping-interval S        client ping period in seconds (1-3600, default 20)
Realtime from the fleet's stream (--source nats; FLAG_REALTIME=1 too): the same session, its bars read from
a NATS JetStream stream that tradeloop publish fills, instead of from Binance
  --nats URL               the fleet's nats-server, e.g. nats://127.0.0.1:4222 (required)
  --stream NAME            the stream to read (default TRADELOOP_BARS); --stale-after counts the seconds
                           since a publisher was last heard (its heartbeat, or a bar)
${SESSION_USAGE}`;

function usage(message: string): UsageError {
  return new UsageError(`${message}\nRun 'tradeloop run --help' for the options.`);
}

/** --max-skip-ratio: one form only, a fraction; "1%" and "5" are refused with the fraction they meant. */
function parseSkipRatio(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_MAX_SKIP_RATIO;
  const text = raw.trim();
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(text);
  if (percent) throw usage(`--max-skip-ratio ${raw}: give a fraction, not a percentage: --max-skip-ratio ${Number(percent[1]) / 100} is ${percent[1]}%.`);
  const value = Number(text);
  if (!/^\d+(?:\.\d+)?$/.test(text) || value > 1) {
    throw usage(`--max-skip-ratio ${raw}: expected a fraction of a file's rows from 0 to 1, e.g. 0.05 for 5% (default ${DEFAULT_MAX_SKIP_RATIO}).`);
  }
  return value;
}

/**
 * Fee rates per symbol. --fee-bps sets maker and taker alike; with --maker-fee-bps or
 * --taker-fee-bps it is refused (which would win is a guess either way). A rate given applies to
 * every symbol; one not given is the symbol's default (defaultFeeRates).
 */
function parseFees(
  fee: string | undefined,
  maker: string | undefined,
  taker: string | undefined,
  symbols: readonly string[],
  bps: (flag: string, raw: string | undefined, fallback: string) => bigint,
): Record<string, FeeRates> {
  if (fee !== undefined && (maker !== undefined || taker !== undefined)) {
    const others = [maker !== undefined ? `--maker-fee-bps ${maker}` : null, taker !== undefined ? `--taker-fee-bps ${taker}` : null].filter((x) => x !== null);
    throw usage(
      `--fee-bps ${fee} with ${others.join(' and ')}: --fee-bps sets the maker and the taker fee both. Give --fee-bps alone, or --maker-fee-bps and --taker-fee-bps.`,
    );
  }
  const one = fee === undefined ? null : bps('--fee-bps', fee, '0');
  const makerE4 = maker === undefined ? one : bps('--maker-fee-bps', maker, '0');
  const takerE4 = taker === undefined ? one : bps('--taker-fee-bps', taker, '0');
  const out: Record<string, FeeRates> = {};
  for (const s of symbols) {
    const d = defaultFeeRates(s);
    out[s] = { makerBpsE4: makerE4 ?? d.makerBpsE4, takerBpsE4: takerE4 ?? d.takerBpsE4 };
  }
  return out;
}

/** Every flag of `tradeloop run` (util.parseArgs options): backtest() and startSession() take the same, in camelCase. */
export const RUN_FLAGS = {
  help: { type: 'boolean', short: 'h' },
  source: { type: 'string' },
  symbols: { type: 'string' },
  minutes: { type: 'string' },
  data: { type: 'string' },
  file: { type: 'string', multiple: true },
  from: { type: 'string' },
  to: { type: 'string' },
  tz: { type: 'string' },
  'bar-label': { type: 'string' },
  interval: { type: 'string' },
  strategy: { type: 'string' },
  param: { type: 'string', multiple: true },
  cash: { type: 'string' },
  'fee-bps': { type: 'string' },
  'maker-fee-bps': { type: 'string' },
  'taker-fee-bps': { type: 'string' },
  'slippage-bps': { type: 'string' },
  'fill-model': { type: 'string' },
  'max-participation': { type: 'string' },
  'max-position-notional': { type: 'string' },
  'max-gross-exposure': { type: 'string' },
  lot: { type: 'string', multiple: true },
  'on-bad-row': { type: 'string' },
  'max-skip-ratio': { type: 'string' },
  'date-format': { type: 'string' },
  out: { type: 'string' },
  quiet: { type: 'boolean' },
  events: { type: 'string' },
  network: { type: 'string' },
  'ws-url': { type: 'string' },
  'rest-url': { type: 'string' },
  'stale-after': { type: 'string' },
  'stale-alert-after': { type: 'string' },
  'latency-alert-ms': { type: 'string' },
  'slice-grace-ms': { type: 'string' },
  'queue-size': { type: 'string' },
  'ping-interval': { type: 'string' },
  stream: { type: 'string' },
  ...SESSION_FLAGS,
} as const;

export function parseRunOptions(argv: readonly string[]): RunOptions | 'help' {
  const parsed = parseFlags(argv, RUN_FLAGS, usage);
  const v = parsed.values;
  if (v.help) return 'help';

  const { source, feed, stream } = parseFeedChoice(v, usage);
  const foreign = (source === 'csv' ? REALTIME_ONLY : CSV_ONLY).filter((flag) => v[flag] !== undefined).map((flag) => `--${flag}`);
  if (foreign.length > 0) {
    const shown = v.source ?? 'realtime';
    throw usage(
      source === 'csv'
        ? `${foreign.join(', ')}: only for --source realtime, and this run reads csv (the default --source). Drop ${foreign.length > 1 ? 'them' : 'it'}, or pass --source realtime.`
        : `${foreign.join(', ')}: only for --source csv, and this run is --source ${shown}. Drop ${foreign.length > 1 ? 'them' : 'it'}, or run --source csv.`,
    );
  }

  // --file without --symbols: the files name the symbols. Filling in the bundled (synthetic) SPY and
  // QQQ beside a user's own file would mix them into the run without a word.
  const fileKeys =
    source === 'csv' && v.symbols === undefined
      ? [...new Set((v.file ?? []).map((f) => f.split('=')[0]!.trim().toUpperCase()).filter((k, i) => k !== '' && (v.file ?? [])[i]!.includes('=')))]
      : [];
  const symbolsText = v.symbols ?? (fileKeys.length > 0 ? fileKeys.join(',') : source === 'csv' ? 'SPY,QQQ' : 'BTCUSDT,ETHUSDT');
  const symbols = parseSymbols(symbolsText, usage);
  if (symbols.length === 0) throw usage(`--symbols ${JSON.stringify(symbolsText)}: name at least one symbol, e.g. --symbols SPY,QQQ.`);
  const interval = parseInterval(v.interval, usage);

  const minutes =
    v.minutes === undefined
      ? null
      : numberFlag(
          '--minutes',
          v.minutes,
          0,
          { min: 1, max: MAX_MINUTES[source], unit: `minutes${source === 'realtime' ? ' (one year at most)' : ''}`, integer: true },
          usage,
        );

  const tz = v.tz ?? null;
  if (tz !== null && !isValidTimeZone(tz)) throw usage(`--tz ${tz}: not a time zone. Use an IANA name such as America/New_York or UTC.`);
  const zone = tz !== null && tz !== 'UTC' ? new ZoneOffsets(tz) : null;

  let from: number | null = null;
  if (v.from !== undefined) {
    from = parseTimestamp(v.from.trim(), zone);
    if (Number.isNaN(from))
      throw usage(`--from ${v.from}: expected an ISO-8601 time such as 2026-03-12T14:00:00Z (a time without a zone is read in --tz, default UTC).`);
  }

  let to: number | null = null;
  if (v.to !== undefined) {
    to = parseTimestamp(v.to.trim(), zone);
    if (Number.isNaN(to))
      throw usage(`--to ${v.to}: expected an ISO-8601 time such as 2026-03-12T16:00:00Z (a time without a zone is read in --tz, default UTC).`);
    if (v.minutes !== undefined) throw usage(`--to ${v.to} with --minutes ${v.minutes}: give one end of the window, not two.`);
    if (from !== null && to <= from) throw usage(`--to ${v.to}: must be after --from ${v.from}.`);
  }

  const barLabel = (v['bar-label'] ?? 'start') as 'start' | 'end';
  if (barLabel !== 'start' && barLabel !== 'end') throw usage(`--bar-label ${v['bar-label']}: expected start or end.`);

  const onBadRow = (v['on-bad-row'] ?? 'fail') as 'fail' | 'skip';
  if (onBadRow !== 'fail' && onBadRow !== 'skip') throw usage(`--on-bad-row ${v['on-bad-row']}: expected fail or skip.`);
  const maxSkipRatio = parseSkipRatio(v['max-skip-ratio']);
  const dateFormat = (v['date-format'] ?? null) as DateFormat | null;
  if (dateFormat !== null && dateFormat !== 'dmy' && dateFormat !== 'mdy' && dateFormat !== 'ymd') {
    throw usage(`--date-format ${v['date-format']}: expected dmy (03/09/2026 is 3 September), mdy (March 9) or ymd.`);
  }

  const events = (v.events ?? 'all') as EventsMode;
  if (events !== 'all' && events !== 'trading')
    throw usage(`--events ${v.events}: expected all (every event, the default) or trading (all but the per-bar bar lines and hold decisions).`);

  // Without --data: ./data/sample where there is one (this checkout), else the sample tradeloop ships.
  const dataDir = v.data ?? (existsSync(join('data', 'sample')) ? join('data', 'sample') : BUNDLED_SAMPLE);
  const files = parseFiles(v.file ?? [], symbols, usage);
  for (const s of symbols) if (!files.has(s)) files.set(s, [join(dataDir, `${s}.csv`)]);

  // No prototype: a key is the user's text, and on a plain object `constructor` is already "in" it
  // and `__proto__=5` would vanish instead of reaching the strategy's own check of its names.
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, val] of keyValues('--param', v.param ?? [], 'fast=5', usage)) {
    if (Object.hasOwn(params, k)) throw usage(`--param ${k} is given twice.`);
    params[k] = val;
  }

  const cashText = v.cash ?? '100000';
  const cash = parseMoney(cashText);
  if (cash === null || cash <= 0n) throw usage(`--cash ${cashText}: expected a positive amount such as 100000 or 2500.50 (up to 8 decimals).`);
  const money = (flag: string, raw: string | undefined, fallback: bigint): bigint => {
    if (raw === undefined) return fallback;
    const m = parseMoney(raw);
    if (m === null || m <= 0n) throw usage(`${flag} ${raw}: expected a positive amount such as 50000.`);
    return m;
  };
  const bps = (flag: string, raw: string | undefined, fallback: string): bigint => {
    const b = parseBps(raw ?? fallback);
    if (b === null) throw usage(`${flag} ${raw}: expected basis points from 0 with up to 4 decimals, e.g. 7.5.`);
    if (b >= 100_000_000n) throw usage(`${flag} ${raw}: must be below 10000 bps (100%).`);
    return b;
  };
  const fees = parseFees(v['fee-bps'], v['maker-fee-bps'], v['taker-fee-bps'], symbols, bps);
  const slippageBpsE4 = bps('--slippage-bps', v['slippage-bps'], '1');
  const fillModel = v['fill-model'] ?? 'next-open';
  if (fillModel !== 'next-open' && fillModel !== 'close')
    throw usage(`--fill-model ${fillModel}: expected next-open (a market order fills at the next bar's open) or close (at its own bar's close).`);
  const maxParticipationE8 = v['max-participation'] === undefined ? DEFAULT_PARTICIPATION_E8 : parseParticipation(v['max-participation']);
  if (maxParticipationE8 === null) {
    throw usage(
      `--max-participation ${v['max-participation']}: expected the share of a bar's volume an order may fill, a number above 0 and at most 1 with up to 8 decimals, e.g. 0.1 (the default) or 1 for the whole volume.`,
    );
  }

  const lotSteps = new Map<string, string>();
  for (const [symbol, step] of keyValues('--lot', v.lot ?? [], 'BTCUSDT=0.001', usage)) {
    const key = symbol.toUpperCase();
    if (!symbols.includes(key)) throw usage(`--lot ${symbol}=${step}: ${key} is not in --symbols (${symbols.join(',')}).`);
    if (lotSteps.has(key)) throw usage(`--lot ${symbol}=${step}: ${key} already has --lot ${key}=${lotSteps.get(key)}; give one lot step per symbol.`);
    lotSteps.set(key, step);
  }
  const instruments = new Map<string, Instrument>();
  for (const s of symbols) {
    const step = lotSteps.get(s) ?? defaultLotStep(s);
    const inst = makeInstrument(s, step);
    if (!inst) throw usage(`--lot ${s}=${step}: the lot step must be a power of ten from 1 down to 0.00000001, e.g. 0.001.`);
    instruments.set(s, inst);
  }

  const { network, wsUrl, restUrl } = parseExchangeFlags(v, usage);
  const seconds = (max: number) => ({ min: 1, max, unit: 'seconds', integer: false });
  const staleAfterMs = numberFlag('--stale-after', v['stale-after'], 5, seconds(3600), usage) * 1000;
  // Raising --stale-after alone raises the alert with it: refusing a default the user never set helps no one.
  const staleAlertAfterMs = numberFlag('--stale-alert-after', v['stale-alert-after'], Math.max(10, (2 * staleAfterMs) / 1000), seconds(86_400), usage) * 1000;
  if (staleAlertAfterMs < staleAfterMs)
    throw usage(`--stale-alert-after ${staleAlertAfterMs / 1000}: must not be shorter than --stale-after ${staleAfterMs / 1000}.`);
  const ms = { min: 1, max: 600_000, unit: 'milliseconds', integer: true };
  const latencyAlertMs = numberFlag('--latency-alert-ms', v['latency-alert-ms'], 1000, ms, usage);
  const sliceGraceMs = numberFlag('--slice-grace-ms', v['slice-grace-ms'], 1500, ms, usage);
  const queueSize = numberFlag('--queue-size', v['queue-size'], 10_000, { min: 1, max: 1_000_000, unit: 'bars', integer: true }, usage);
  const pingIntervalMs = numberFlag('--ping-interval', v['ping-interval'], 20, seconds(3600), usage) * 1000;
  if (source === 'realtime' && sliceGraceMs >= nominalIntervalMs(interval)) {
    throw usage(`--slice-grace-ms ${sliceGraceMs}: must be shorter than one ${interval} bar.`);
  }

  return {
    argv: [...argv],
    source,
    feed,
    stream,
    symbols,
    interval,
    minutes,
    dataDir,
    files,
    from,
    to,
    fromText: v.from ?? null,
    tz,
    barLabel,
    strategy: v.strategy ?? 'sma-cross',
    params,
    cash,
    cashText,
    fees,
    slippageBpsE4,
    slippageBps: Number(slippageBpsE4) / 10_000,
    fillModel,
    maxParticipationE8,
    maxParticipation: participationNumber(maxParticipationE8),
    maxPositionNotional: money('--max-position-notional', v['max-position-notional'], cash / 2n),
    maxGrossExposure: money('--max-gross-exposure', v['max-gross-exposure'], cash),
    instruments,
    onBadRow,
    maxSkipRatio,
    dateFormat,
    out: v.out ?? null,
    quiet: v.quiet ?? false,
    events,
    network,
    wsUrl,
    restUrl,
    staleAfterMs,
    staleAlertAfterMs,
    latencyAlertMs,
    sliceGraceMs,
    queueSize,
    pingIntervalMs,
    ...parseSessionOptions(v, usage),
  };
}
