/**
 * The floor for the realtime bench: a bare `ws` client on the same server, with the same streams
 * (the same URL and SUBSCRIBE batches as the real feed plans), that decodes each message to text,
 * JSON.parses it and counts the closed klines: nothing else. The full client cannot read the
 * socket faster than this on this machine. Spawned by bench/lib/realtime-procs.ts with a JSON
 * FloorSpec; prints one JSON line (FloorResult) when `expectedBars` closed klines have arrived.
 */
import WebSocket from 'ws';
import { runnerMain } from './json-process.ts';
import { combinedUrl, planConnections, streamName } from '../../src/feed/binance/stream-names.ts';

export interface FloorSpec {
  readonly wsUrl: string;
  readonly symbols: readonly string[];
  readonly interval: string;
  readonly expectedBars: number;
  readonly timeoutMs: number;
}

export interface FloorResult {
  readonly messages: number;
  readonly closedBars: number;
  readonly lastBarAt: number | null;
  readonly timedOut: boolean;
  readonly maxRssKb: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
}

/** The feed's own pacing of SUBSCRIBE batches (binanceProtocol: subscribeGapMs). */
const SUBSCRIBE_GAP_MS = 250;

function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

function runFloor(spec: FloorSpec): Promise<FloorResult> {
  const plans = planConnections(spec.symbols.map((s) => streamName(s, spec.interval)));
  let messages = 0;
  let closedBars = 0;
  let lastBarAt: number | null = null;
  const sockets: WebSocket[] = [];
  return new Promise((resolve) => {
    let finished = false;
    const finish = (timedOut: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      for (const ws of sockets) ws.terminate();
      const cpu = process.cpuUsage();
      resolve({
        messages,
        closedBars,
        lastBarAt,
        timedOut,
        maxRssKb: process.resourceUsage().maxRSS,
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
      });
    };
    const timer = setTimeout(() => finish(true), spec.timeoutMs);
    for (const plan of plans) {
      const ws = new WebSocket(combinedUrl(spec.wsUrl, plan.urlStreams), { perMessageDeflate: false });
      sockets.push(ws);
      ws.on('open', () => {
        plan.subscribeBatches.forEach((params, i) => {
          setTimeout(() => ws.send(JSON.stringify({ method: 'SUBSCRIBE', params, id: i + 1 })), i * SUBSCRIBE_GAP_MS);
        });
      });
      ws.on('message', (data: WebSocket.RawData) => {
        const msg = JSON.parse(data.toString()) as { id?: number; data?: { k?: { x?: boolean } } };
        if (msg.id !== undefined) return; // a SUBSCRIBE reply
        messages++;
        if (msg.data?.k?.x === true && ++closedBars === spec.expectedBars) {
          lastBarAt = wallNow();
          finish(false);
        }
      });
      ws.on('error', () => {});
    }
  });
}

if (import.meta.main) await runnerMain<FloorSpec, unknown>('realtime-floor.ts', '{"wsUrl":"ws://...","symbols":[...],"interval":"1m",...}', runFloor);
