/**
 * One realtime bench run: a fresh replay server process, then the floor client or the client under
 * test in a process of its own, then the figures. The server's tape is one-shot, so every run gets
 * its own server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReplaySpeed } from '../../src/replay/replay-tape.ts';
import { analyseRun, readSummary, type RunAnalysis, type Summary } from './realtime-analyse.ts';
import type { ClientResult, ClientSpec } from './realtime-client.ts';
import type { FloorResult, FloorSpec } from './realtime-floor.ts';
import { startServerProcess, type ServerProcess } from './realtime-procs.ts';
import { runJsonProcess } from './json-process.ts';
import { REALTIME_NODE_FLAGS } from '../../src/cli/node-flags.ts';
import type { ServerStats } from './realtime-server.ts';

export const INTERVAL = '1m';
export const INTERVAL_MS = 60_000;

export interface RunPlan {
  readonly symbols: readonly string[];
  readonly dataDir: string;
  /** openTime of the first live bar; the bars before it are history. */
  readonly startAt: number;
  readonly liveBars: number;
  /** Live bars at the start left out of the latency figures (still checked): JIT warm-up. */
  readonly warmupBars: number;
  readonly speed: ReplaySpeed;
  readonly updatesPerBar: number;
  /** Gives up this long after the client's feed started. */
  readonly timeoutMs: number;
}

function startServer(plan: RunPlan): Promise<ServerProcess> {
  return startServerProcess({
    symbols: plan.symbols,
    dataDir: plan.dataDir,
    speed: plan.speed,
    updatesPerBar: plan.updatesPerBar,
    startAt: plan.startAt,
  });
}

export interface FloorRun {
  readonly result: FloorResult;
  readonly server: ServerStats;
  /** Tape start → the last closed kline read. */
  readonly windowMs: number;
  readonly messagesPerS: number;
}

export async function runFloor(plan: RunPlan): Promise<FloorRun> {
  const server = await startServer(plan);
  try {
    const spec: FloorSpec = {
      wsUrl: server.wsUrl,
      symbols: plan.symbols,
      interval: INTERVAL,
      expectedBars: plan.symbols.length * plan.liveBars,
      timeoutMs: plan.timeoutMs,
    };
    const result = await runJsonProcess<FloorResult>('realtime-floor.ts', spec);
    const tapeAt = await server.tapeStarted;
    const stats = await server.close();
    if (result.timedOut || result.lastBarAt === null)
      throw new Error(`floor: ${result.closedBars} of ${spec.expectedBars} closed klines in ${plan.timeoutMs} ms`);
    const windowMs = result.lastBarAt - tapeAt;
    return { result, server: stats, windowMs, messagesPerS: result.messages / (windowMs / 1000) };
  } finally {
    server.kill();
  }
}

export interface ClientRun {
  readonly result: ClientResult;
  readonly server: ServerStats;
  readonly summary: Summary;
  readonly analysis: RunAnalysis;
  readonly expectedBars: number;
  /** Tape start → the expected-th bar decided. */
  readonly windowMs: number;
  /** Feed started → tape started: connecting and the paced SUBSCRIBE batches. */
  readonly subscribeMs: number;
  readonly messagesPerS: number;
  readonly barsPerS: number;
  /** Every check of "no message dropped, every bar decided once"; empty when all pass. */
  readonly problems: readonly string[];
}

function feedCount(summary: Summary, name: string): number {
  return summary.feed?.[name] ?? NaN;
}

export async function runClient(plan: RunPlan, args: readonly string[] = []): Promise<ClientRun> {
  const server = await startServer(plan);
  const outDir = mkdtempSync(join(tmpdir(), 'tradeloop-bench-rt-'));
  try {
    const expectedBars = plan.symbols.length * plan.liveBars;
    const spec: ClientSpec = {
      wsUrl: server.wsUrl,
      restUrl: server.restUrl,
      symbols: plan.symbols,
      outDir,
      expectedBars,
      timeoutMs: plan.timeoutMs,
      args,
    };
    const result = await runJsonProcess<ClientResult>('realtime-client.ts', spec, 'realtime client', REALTIME_NODE_FLAGS);
    if (result.code !== 0) throw new Error(`client exited ${result.code}: ${result.stderr.trim()}`);
    const tapeAt = await server.tapeStarted;
    const stats = await server.close();
    const summary = readSummary(outDir);
    const analysis = await analyseRun(outDir, {
      symbols: plan.symbols,
      firstOpenTime: plan.startAt,
      bars: plan.liveBars,
      intervalMs: INTERVAL_MS,
      measureFrom: plan.startAt + plan.warmupBars * INTERVAL_MS,
    });
    const problems: string[] = [];
    const expectEqual = (what: string, actual: number, expected: number): void => {
      if (actual !== expected) problems.push(`${what} ${actual}, expected ${expected}`);
    };
    if (result.timedOut) problems.push(`timed out after ${plan.timeoutMs} ms with ${result.cycles} of ${expectedBars} bars decided`);
    expectEqual('decisions (summary)', summary.decisions, expectedBars);
    expectEqual('decisions (events)', analysis.decisions, expectedBars);
    expectEqual('bars never decided', analysis.missing, 0);
    expectEqual('bars decided twice', analysis.repeated, 0);
    expectEqual('decisions outside the tape', analysis.unexpected, 0);
    expectEqual('skips', summary.skips, 0);
    expectEqual('kline messages read by the client', feedCount(summary, 'messages'), stats.klineMessagesSent);
    for (const counter of ['malformed', 'duplicates', 'outOfOrder', 'backfills', 'lateBars', 'disconnects'])
      expectEqual(`feed.${counter}`, feedCount(summary, counter), 0);
    const lastCycleAt = result.lastCycleAt ?? NaN;
    const windowMs = lastCycleAt - tapeAt;
    return {
      result,
      server: stats,
      summary,
      analysis,
      expectedBars,
      windowMs,
      subscribeMs: tapeAt - result.feedStartedAt,
      messagesPerS: feedCount(summary, 'messages') / (windowMs / 1000),
      barsPerS: expectedBars / (windowMs / 1000),
      problems,
    };
  } finally {
    server.kill();
    rmSync(outDir, { recursive: true, force: true });
  }
}
