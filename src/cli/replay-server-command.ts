/**
 * `tradeloop replay-server`: flags → startReplayServer, the URLs on stdout's first line (so a
 * script or a test can read where to connect), then serve until SIGINT or SIGTERM.
 */
import { INTERVALS } from '../domain/interval.ts';
import { isoUtc, parseTimestamp } from '../domain/time.ts';
import { UsageError } from './usage-error.ts';
import { parseFiles, parseFlags, parseInterval, parseSymbols } from './common-flags.ts';
import { DataError } from '../feed/data-error.ts';
import { parseDuration } from '../replay/duration.ts';
import { startReplayServer, type ReplayServerOptions } from '../replay/replay-server.ts';
import type { ReplaySpeed } from '../replay/replay-tape.ts';

export const REPLAY_SERVER_USAGE = `Usage: tradeloop replay-server --symbols A,B (--data DIR | --file SYMBOL=PATH ...) [options]

Serves CSV bars over the Binance spot market-data protocol on 127.0.0.1: WebSocket kline streams
(/ws/<stream>, /stream?streams=) and REST (/api/v3/klines, /api/v3/time, /api/v3/ping) on one port.
Point realtime mode at it with --ws-url and --rest-url.

  --symbols A,B            symbols to serve, in slice order (required)
  --data DIR               folder holding <SYMBOL>.csv files
  --file SYMBOL=PATH       a file for a symbol; repeatable, several files of one symbol merge in time order
  --interval I             bar interval of the files (default 1m): ${INTERVALS.join(' ')}
  --port N                 port (default 0: any free port, printed on the first line)
  --speed N|max            bar time per wall time (default 1; 60: a 1m bar lasts 1 s; max: as fast as clients read)
  --start ISO              the tape starts at this bar; earlier bars are history, served over REST at once
  --ping-interval D        server ping period (default 20s); durations: 500ms, 20s, 1m, 2h
  --pong-timeout D         close a connection whose pong is this late (default 60s)
  --lifetime D             connection lifetime (default 24h)
  --updates-per-bar N      x:false updates per bar, at least (default 2; raised to keep one every 2 s)
  --on-bad-row fail|skip   stop at a malformed CSV row (default) or skip it
`;

function usage(message: string): UsageError {
  return new UsageError(`${message}\nRun 'tradeloop help replay-server' for the options.`);
}

function duration(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const ms = parseDuration(raw);
  if (ms === null) throw usage(`${flag} ${raw}: expected a duration such as 500ms, 20s, 1m or 2h.`);
  return ms;
}

/** Flags → server options, or 'help'. Throws UsageError naming the flag and the fix. */
export function parseReplayOptions(argv: readonly string[]): ReplayServerOptions | 'help' {
  const parsed = parseFlags(argv, {
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
  }, usage);
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
  }

  let startAt: number | null = null;
  if (v.start !== undefined && v.start.trim() !== '') {
    startAt = parseTimestamp(v.start.trim(), null);
    if (Number.isNaN(startAt)) throw usage(`--start ${v.start}: expected an ISO-8601 time such as 2025-01-02T00:00:00Z (a time without a zone is UTC).`);
  }

  let updatesPerBar: number | undefined;
  if (v['updates-per-bar'] !== undefined && v['updates-per-bar'].trim() !== '') {
    updatesPerBar = Number(v['updates-per-bar']);
    if (!/^\d+$/.test(v['updates-per-bar'].trim()) || updatesPerBar < 1) throw usage(`--updates-per-bar ${v['updates-per-bar']}: expected a whole number of at least 1.`);
  }

  const onBadRow = (v['on-bad-row']?.trim().toLowerCase() || 'fail') as 'fail' | 'skip';
  if (onBadRow !== 'fail' && onBadRow !== 'skip') throw usage(`--on-bad-row ${v['on-bad-row']}: expected fail or skip.`);

  return {
    symbols, files, dataDir, interval, port, speed, startAt, updatesPerBar, onBadRow,
    pingIntervalMs: duration('--ping-interval', v['ping-interval']),
    pongTimeoutMs: duration('--pong-timeout', v['pong-timeout']),
    connectionLifetimeMs: duration('--lifetime', v.lifetime),
  };
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
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let server;
    try {
      server = await startReplayServer(options);
    } catch (err) {
      if (err instanceof DataError) {
        io.stderr(`tradeloop replay-server: ${err.message}\n`);
        return 1;
      }
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw usage(`--port ${options.port}: the port is in use. Pick another, or --port 0 for any free one.`);
      throw err;
    }
    io.stdout(`replay-server listening ${server.wsUrl} rest ${server.restUrl}\n`);
    const s = server.stats;
    io.stderr(`replay-server: ${options.symbols.join(',')} ${options.interval}, ${s.slicesOnTape} slices on the tape` +
      (options.startAt !== null && options.startAt !== undefined ? ` from ${isoUtc(options.startAt)}` : '') +
      `, speed ${options.speed}, ${s.updatesPerBar} updates per bar` + (s.skippedRows > 0 ? `, ${s.skippedRows} rows skipped` : '') +
      '; the tape starts at the first subscription. Ctrl-C stops.\n');
    if (!stopRequested) await new Promise<void>((resolve) => (signalled = resolve));
    await server.close();
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
