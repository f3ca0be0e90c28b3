/**
 * The replay server in a process of its own, so that it and the client under test do not share an
 * event loop (the machine has two cores). Spawned by bench/lib/realtime-procs.ts with a JSON
 * ServerSpec as its argument; speaks JSON lines on stdout and reads one command a line on stdin:
 *
 *   → {"type":"ready","wsUrl":...,"restUrl":...}      once listening
 *   → {"type":"tape","at":...}                        when the tape starts
 *   ← stats   → {"type":"stats",...}                  the server's counters now
 *   ← stall on | stall off | drop                     faults for the soak: silence every connection, or cut them (no close frame)
 *   ← close   → {"type":"closed",...}                 after server.close(); then the process exits
 *
 * Held start. The replay server starts its tape at the first subscription, as Binance never waits
 * for anyone. A 1000-symbol client names ~420 streams in its URL and SUBSCRIBEs the rest in batches
 * 250 ms apart: at speed max the tape would be hundreds of slices ahead before the last batch, and
 * those symbols would miss them. The bench wants the steady state, every stream subscribed, so this
 * runner asks the server to start its tape only once every symbol's stream is subscribed
 * (startAfterStreams). Nothing on the per-message path changes.
 */
import { createInterface } from 'node:readline';
import { writeSync } from 'node:fs';
import { startReplayServer, type ReplayServer } from '../../src/replay/replay-server.ts';
import type { ReplaySpeed } from '../../src/replay/replay-tape.ts';

export interface ServerSpec {
  readonly symbols: readonly string[];
  readonly dataDir: string;
  readonly speed: ReplaySpeed;
  readonly updatesPerBar: number;
  /** openTime of the first live bar: earlier bars are history, closed before the tape starts. */
  readonly startAt: number;
}

export interface ServerStats {
  readonly klineMessagesSent: number;
  readonly slicesClosed: number;
  readonly slicesOnTape: number;
  readonly tape: string;
  readonly updatesPerBar: number;
  readonly connectionsOpened: number;
  /** Wall clock (ms, fractional: timeOrigin + performance.now()) when the tape started; null before. */
  readonly tapeStartedAt: number | null;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  readonly maxRssKb: number;
}

export type ServerMessage =
  | { readonly type: 'ready'; readonly wsUrl: string; readonly restUrl: string }
  | { readonly type: 'tape'; readonly at: number }
  | ({ readonly type: 'stats' } & ServerStats)
  | ({ readonly type: 'closed' } & ServerStats);

/** Wall-clock ms with sub-millisecond resolution, comparable between processes on one machine. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

function send(message: ServerMessage): void {
  // Synchronous: the parent reads these as they come, and the last one must be out before exit.
  writeSync(1, JSON.stringify(message) + '\n');
}

async function serve(spec: ServerSpec): Promise<void> {
  let tapeStartedAt: number | null = null;
  // The tape waits for every symbol's stream: the client SUBSCRIBEs most of 1000 in paced batches.
  const server: ReplayServer = await startReplayServer({
    symbols: spec.symbols,
    dataDir: spec.dataDir,
    speed: spec.speed,
    updatesPerBar: spec.updatesPerBar,
    startAt: spec.startAt,
    startAfterStreams: spec.symbols.length,
    onTapeStart: () => {
      tapeStartedAt = wallNow();
      send({ type: 'tape', at: tapeStartedAt });
    },
  });
  const stats = (): ServerStats => {
    const s = server.stats;
    const cpu = process.cpuUsage();
    return {
      klineMessagesSent: s.klineMessagesSent,
      slicesClosed: s.slicesClosed,
      slicesOnTape: s.slicesOnTape,
      tape: s.tape,
      updatesPerBar: s.updatesPerBar,
      connectionsOpened: s.connectionsOpened,
      tapeStartedAt,
      cpuUserMs: cpu.user / 1000,
      cpuSystemMs: cpu.system / 1000,
      maxRssKb: process.resourceUsage().maxRSS,
    };
  };
  send({ type: 'ready', wsUrl: server.wsUrl, restUrl: server.restUrl });

  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const command = line.trim();
    if (command === 'stats') send({ type: 'stats', ...stats() });
    else if (command === 'stall on' || command === 'stall off') server.stall(command === 'stall on');
    else if (command === 'drop') server.dropAll();
    else if (command === 'close') {
      await server.close();
      send({ type: 'closed', ...stats() });
      lines.close();
      process.exit(0);
    }
  }
  // stdin closed without a close command: the parent is gone.
  await server.close();
  process.exit(0);
}

if (import.meta.main) {
  const raw = process.argv[2];
  if (raw === undefined) {
    process.stderr.write('usage: node bench/lib/realtime-server.ts \'{"symbols":["S0001USDT"],"dataDir":"...","speed":"max",...}\'\n');
    process.exit(2);
  }
  await serve(JSON.parse(raw) as ServerSpec);
}
