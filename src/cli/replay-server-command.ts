/**
 * `tradeloop replay-server`: flags → startReplayServer, the URLs on stdout's first line (so a
 * script or a test can read where to connect), then serve until SIGINT or SIGTERM, with a line on
 * stderr for every connect, disconnect and for the tape's start, loops and end.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { INTERVALS } from '../domain/interval.ts';
import { isoUtc, parseTimestamp } from '../domain/time.ts';
import { UsageError } from './usage-error.ts';
import { parseFiles, parseFlags, parseInterval, parseSymbols } from './common-flags.ts';
import { DataError } from '../feed/data-error.ts';
import { parseDuration } from '../replay/duration.ts';
import { formatLogLine } from '../replay/replay-log.ts';
import { startReplayServer, type ReplayServerOptions, type TapeMode } from '../replay/replay-server.ts';
import type { ReplaySpeed } from '../replay/replay-tape.ts';

// Bounds a person can mean. A Node timer past 2^31 - 1 ms fires at once (a huge --ping-interval was a ping storm).
const SECOND = 1000;
const PING_RANGE: readonly [number, number] = [100, 3_600_000];
const LIFETIME_RANGE: readonly [number, number] = [SECOND, 7 * 86_400_000];
const PING_RANGE_TEXT = '100ms to 1h';
const LIFETIME_RANGE_TEXT = '1s to 7d';
const SPEED_MIN = 0.001;
const SPEED_MAX = 1_000_000;
const UPDATES_MAX = 1000;
const MAX_CONNECTIONS_RANGE: readonly [number, number] = [1, 10_000];

export const REPLAY_SERVER_USAGE = `Usage: tradeloop replay-server --symbols A,B (--data DIR | --file SYMBOL=PATH ...) [options]

Serves CSV bars over the Binance spot market-data protocol on 127.0.0.1: WebSocket kline streams
(/ws/<stream>, /stream?streams=) and REST (/api/v3/klines, /api/v3/time, /api/v3/ping) on one port.
Point realtime mode at it with --ws-url and --rest-url. Logs each connect, disconnect and the
tape's start and end on stderr.

  --symbols A,B            symbols to serve, in slice order (required)
  --data DIR               folder holding <SYMBOL>.csv files
  --file SYMBOL=PATH       a file for a symbol; repeatable, several files of one symbol merge in time order
  --interval I             bar interval of the files (default 1m): ${INTERVALS.join(' ')}
  --port N                 port (default 0: any free port, printed on the first line)
  --speed N|max            bar time per wall time, ${SPEED_MIN} to ${SPEED_MAX} (default 1; 60: a 1m bar lasts 1 s;
                           max: as fast as clients read)
  --start ISO              the tape starts at this bar; earlier bars are history, served over REST at once
  --tape shared|per-client shared (default): one tape for all clients, started by the first subscription;
                           per-client: each client plays its own tape from the start (REST serves what the
                           most advanced open tape has closed)
  --loop                   when the tape ends, play it again from its first bar, every bar time shifted
                           forward by the tape's span rounded up to the interval (not with --interval 1M)
  --max-connections N      WebSocket clients at once, ${MAX_CONNECTIONS_RANGE[0]} to ${MAX_CONNECTIONS_RANGE[1]} (default 256); one more is answered 503
  --ping-interval D        server ping period, ${PING_RANGE_TEXT} (default 20s); durations: 500ms, 20s, 1m, 2h
  --pong-timeout D         drop a connection whose ping goes unanswered this long, ${PING_RANGE_TEXT} (default 60s)
  --lifetime D             connection lifetime, ${LIFETIME_RANGE_TEXT} (default 24h)
  --updates-per-bar N      x:false updates per bar, at least, 1 to ${UPDATES_MAX} (default 2; raised to keep one every 2 s)
  --on-bad-row fail|skip   stop at a malformed CSV row (default) or skip it
`;

function usage(message: string): UsageError {
  return new UsageError(`${message}\nRun 'tradeloop help replay-server' for the options.`);
}

function duration(flag: string, raw: string | undefined, range: readonly [number, number], rangeText: string): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const ms = parseDuration(raw);
  if (ms === null) throw usage(`${flag} ${raw}: expected a duration such as 500ms, 20s, 1m or 2h.`);
  if (ms < range[0] || ms > range[1]) throw usage(`${flag} ${raw}: out of range; give ${rangeText}.`);
  return ms;
}

function wholeNumber(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) throw usage(`${flag} ${raw}: expected a whole number from ${min} to ${max}.`);
  return n;
}

/** Flags → server options, or 'help'. Throws UsageError naming the flag and the fix. */
export function parseReplayOptions(argv: readonly string[]): ReplayServerOptions | 'help' {
  const parsed = parseFlags(
    argv,
    {
      help: { type: 'boolean', short: 'h' },
      data: { type: 'string' },
      symbols: { type: 'string' },
      file: { type: 'string', multiple: true },
      interval: { type: 'string' },
      port: { type: 'string' },
      speed: { type: 'string' },
      start: { type: 'string' },
      'ping-interval': { type: 'string' },
      'pong-timeout': { type: 'string' },
      lifetime: { type: 'string' },
      'updates-per-bar': { type: 'string' },
      'on-bad-row': { type: 'string' },
      tape: { type: 'string' },
      loop: { type: 'boolean' },
      'max-connections': { type: 'string' },
    },
    usage,
  );
  const v = parsed.values;
  if (v.help) return 'help';

  const symbols = parseSymbols(v.symbols ?? '', usage);
  if (symbols.length === 0) throw usage('--symbols is required: name the symbols to serve, e.g. --symbols BTCUSDT,ETHUSDT.');
  const files = parseFiles(v.file ?? [], symbols, usage);
  const dataDir = v.data?.trim() || undefined;
  const missing = symbols.filter((s) => !files.has(s));
  if (dataDir === undefined && missing.length > 0) {
    throw usage(`no data for ${missing.join(',')}: give --data DIR (holding ${missing[0]}.csv) or --file ${missing[0]}=PATH.`);
  }

  const interval = parseInterval(v.interval, usage);

  let port = 0;
  if (v.port !== undefined && v.port.trim() !== '') {
    port = Number(v.port);
    if (!/^\d+$/.test(v.port.trim()) || port > 65535) throw usage(`--port ${v.port}: expected 0 (any free port) to 65535.`);
  }

  let speed: ReplaySpeed = 1;
  const speedText = v.speed?.trim().toLowerCase() ?? '';
  if (speedText === 'max') speed = 'max';
  else if (speedText !== '') {
    speed = Number(speedText);
    if (!/^\d+(\.\d+)?$/.test(speedText) || !(speed > 0)) throw usage(`--speed ${v.speed}: expected a positive number (60: a 1m bar lasts 1 s) or max.`);
    if (speed < SPEED_MIN || speed > SPEED_MAX)
      throw usage(`--speed ${v.speed}: out of range; give ${SPEED_MIN} to ${SPEED_MAX}, or max (as fast as clients read).`);
  }

  let startAt: number | null = null;
  if (v.start !== undefined && v.start.trim() !== '') {
    startAt = parseTimestamp(v.start.trim(), null);
    if (Number.isNaN(startAt)) throw usage(`--start ${v.start}: expected an ISO-8601 time such as 2025-01-02T00:00:00Z (a time without a zone is UTC).`);
  }

  const updatesPerBar = wholeNumber('--updates-per-bar', v['updates-per-bar'], 1, UPDATES_MAX);
  const maxConnections = wholeNumber('--max-connections', v['max-connections'], MAX_CONNECTIONS_RANGE[0], MAX_CONNECTIONS_RANGE[1]);

  const onBadRow = (v['on-bad-row']?.trim().toLowerCase() || 'fail') as 'fail' | 'skip';
  if (onBadRow !== 'fail' && onBadRow !== 'skip') throw usage(`--on-bad-row ${v['on-bad-row']}: expected fail or skip.`);

  const tape = (v.tape?.trim().toLowerCase() || 'shared') as TapeMode;
  if (tape !== 'shared' && tape !== 'per-client') throw usage(`--tape ${v.tape}: expected shared (one tape for all clients) or per-client.`);
  const loop = v.loop ?? false;
  if (loop && interval === '1M')
    throw usage(
      '--loop with --interval 1M: months differ in length, so a looped tape cannot keep its bars on month boundaries. Drop --loop, or use 1w or 1d bars.',
    );

  return {
    symbols,
    files,
    dataDir,
    interval,
    port,
    speed,
    startAt,
    updatesPerBar,
    onBadRow,
    tape,
    loop,
    maxConnections,
    pingIntervalMs: duration('--ping-interval', v['ping-interval'], PING_RANGE, PING_RANGE_TEXT),
    pongTimeoutMs: duration('--pong-timeout', v['pong-timeout'], PING_RANGE, PING_RANGE_TEXT),
    connectionLifetimeMs: duration('--lifetime', v.lifetime, LIFETIME_RANGE, LIFETIME_RANGE_TEXT),
  };
}

/**
 * Every data file must be there before the server starts, refused as `run` refuses it (exit 2,
 * naming the file and where it was looked for); a file that is there but malformed stays a data error.
 */
function checkDataFiles(options: ReplayServerOptions): void {
  for (const symbol of options.symbols) {
    const given = options.files?.get(symbol);
    const paths = given && given.length > 0 ? given : [join(options.dataDir ?? '.', `${symbol}.csv`)];
    const fromData = !(given && given.length > 0);
    for (const path of paths) {
      let isDir: boolean;
      try {
        isDir = statSync(path).isDirectory();
      } catch {
        throw new UsageError(
          fromData
            ? `no data for ${symbol}: file not found: ${path}. Put ${symbol}.csv in --data ${options.dataDir}, or name the file with --file ${symbol}=PATH.`
            : `--file ${symbol}=${path}: file not found. Check the path (relative paths start from ${process.cwd()}).`,
        );
      }
      if (isDir)
        throw new UsageError(
          `${symbol}: ${path} is a folder, not a file. Use --data ${path} for a folder of <SYMBOL>.csv files, or --file ${symbol}=<a file>.`,
        );
    }
  }
}

/** Runs until SIGINT or SIGTERM, then closes the server and resolves 0. */
export async function replayServerCommand(argv: readonly string[], _flags: unknown, io: { stdout(t: string): void; stderr(t: string): void }): Promise<number> {
  const options = parseReplayOptions(argv);
  if (options === 'help') {
    io.stdout(REPLAY_SERVER_USAGE);
    return 0;
  }
  // Listen before starting: a signal that arrives while the files load still ends the command cleanly.
  let signalled: (() => void) | null = null;
  let stopRequested = false;
  const onSignal = (): void => {
    stopRequested = true;
    signalled?.();
  };
  checkDataFiles(options);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const line = (text: string): void => io.stderr(`${new Date().toISOString()} replay-server: ${text}\n`);
  try {
    let server: Awaited<ReturnType<typeof startReplayServer>>;
    try {
      server = await startReplayServer({ ...options, log: (event) => io.stderr(formatLogLine(event)) });
    } catch (err) {
      if (err instanceof DataError) {
        io.stderr(`tradeloop replay-server: ${err.message}\n`);
        return 1;
      }
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
        throw usage(`--port ${options.port}: the port is in use. Pick another, or --port 0 for any free one.`);
      throw err;
    }
    io.stdout(`replay-server listening ${server.wsUrl} rest ${server.restUrl}\n`);
    const s = server.stats;
    line(
      `${options.symbols.join(',')} ${options.interval}, ${s.slicesOnTape} slices on the tape` +
        (options.startAt !== null && options.startAt !== undefined ? ` from ${isoUtc(options.startAt)}` : '') +
        `, speed ${options.speed}, ${s.updatesPerBar} updates per bar` +
        (s.skippedRows > 0 ? `, ${s.skippedRows} rows skipped` : '') +
        (options.tape === 'per-client' ? '; each client plays its own tape from its first subscription' : '; the tape starts at the first subscription') +
        (options.loop ? ', and loops' : '') +
        `; at most ${options.maxConnections ?? 256} connections. Ctrl-C stops.`,
    );
    if (!stopRequested) await new Promise<void>((resolve) => (signalled = resolve));
    line(`stopping: closing ${server.connections} connections`);
    await server.close();
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
