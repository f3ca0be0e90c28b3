/**
 * Helpers for the replay-server tests: CSV fixtures in a temp dir, and a WebSocket client that
 * records every frame and lets a test wait for the one it needs (never a fixed sleep).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';

export const MINUTE = 60_000;
/** 2021-03-26T03:00:00Z */
export const T0 = Date.UTC(2021, 2, 26, 3, 0);

export interface FixtureBar {
  readonly t: number;
  readonly o: string;
  readonly h: string;
  readonly l: string;
  readonly c: string;
  readonly v: string;
}

/** `count` minute bars from `start`, prices derived from the index so each bar differs. */
export function minuteBars(start: number, count: number, base = 100): FixtureBar[] {
  const bars: FixtureBar[] = [];
  for (let i = 0; i < count; i++) {
    const o = base + i;
    const up = i % 2 === 0;
    bars.push({
      t: start + i * MINUTE,
      o: `${o}`,
      h: `${o + 2}.25`,
      l: `${o - 1}.5`,
      c: up ? `${o + 1}.75` : `${o - 0.5}`,
      v: `${(i % 7) + 1}.125`,
    });
  }
  return bars;
}

export function csvText(bars: readonly FixtureBar[]): string {
  return 'timestamp,open,high,low,close,volume\n' + bars.map((b) => `${new Date(b.t).toISOString()},${b.o},${b.h},${b.l},${b.c},${b.v}`).join('\n') + '\n';
}

export interface DataDir {
  readonly dir: string;
  remove(): Promise<void>;
}

/** A temp dir holding <SYMBOL>.csv for each entry. */
export async function dataDir(bySymbol: Readonly<Record<string, readonly FixtureBar[]>>): Promise<DataDir> {
  const dir = await mkdtemp(join(tmpdir(), 'tradeloop-replay-'));
  for (const [symbol, bars] of Object.entries(bySymbol)) await writeFile(join(dir, `${symbol}.csv`), csvText(bars));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** 8-decimal text as Binance sends it, for comparisons with fixture prices. */
export function dec8(text: string): string {
  const [whole = '0', frac = ''] = text.split('.');
  return `${whole}.${frac.padEnd(8, '0')}`;
}

export interface KlineMessage {
  readonly e: string;
  readonly E: number;
  readonly s: string;
  readonly k: {
    readonly t: number;
    readonly T: number;
    readonly s: string;
    readonly i: string;
    readonly f: number;
    readonly L: number;
    readonly o: string;
    readonly c: string;
    readonly h: string;
    readonly l: string;
    readonly v: string;
    readonly n: number;
    readonly x: boolean;
    readonly q: string;
    readonly V: string;
    readonly Q: string;
    readonly B: string;
  };
}

export interface Received {
  readonly text: string;
  readonly json: unknown;
  /** performance.now() at arrival. */
  readonly at: number;
}

/** A client that keeps every frame; tests wait on predicates with a timeout. */
export class TestClient {
  readonly ws: WebSocket;
  readonly messages: Received[] = [];
  readonly pings: Buffer[] = [];
  /** x:true klines received so far. */
  finalCount = 0;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  constructor(url: string, options?: ConstructorParameters<typeof WebSocket>[2]) {
    this.ws = new WebSocket(url, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code, reason) => {
        this.wake();
        resolve({ code, reason: reason.toString() });
      }),
    );
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const text = String(data);
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      this.messages.push({ text, json, at: performance.now() });
      const j = json as any;
      if ((j?.data ?? j)?.k?.x === true) this.finalCount++;
      this.wake();
    });
    this.ws.on('ping', (data) => {
      this.pings.push(data);
      this.wake();
    });
  }

  static async connect(url: string, options?: ConstructorParameters<typeof WebSocket>[2]): Promise<TestClient> {
    const c = new TestClient(url, options);
    await c.opened;
    return c;
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  private listed = 0;
  /**
   * The server's LIST_SUBSCRIPTIONS answer. It comes after the server handled this connection's
   * streams (those of its URL included): whatever they start has started by then.
   */
  async subscriptions(timeoutMs = 5000): Promise<unknown> {
    const id = `list-${++this.listed}`;
    this.send({ method: 'LIST_SUBSCRIPTIONS', id });
    const reply = await this.next((j) => j?.id === id, 0, timeoutMs);
    return (reply.json as { result: unknown }).result;
  }

  /** Resolves when `check` returns a value other than undefined; rejects after timeoutMs. */
  async until<T>(check: () => T | undefined, timeoutMs = 5000, what = 'condition'): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.messages.length} messages so far`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== wake);
          resolve();
        };
        // Woken by every frame; the short poll covers conditions on the server's side.
        const timer = setTimeout(wake, Math.min(left, 10));
        this.waiters.push(wake);
      });
    }
  }

  /** The first message from index `from` on whose JSON satisfies `test`. */
  async next(test: (json: any) => boolean, from = 0, timeoutMs = 5000): Promise<Received> {
    let scanned = from;
    return this.until(
      () => {
        for (; scanned < this.messages.length; scanned++) {
          const m = this.messages[scanned]!;
          if (m.json !== undefined && test(m.json)) return m;
        }
        return undefined;
      },
      timeoutMs,
      'a matching message',
    );
  }

  /** Resolves once `count` x:true klines have arrived. */
  async finalsReach(count: number, timeoutMs = 5000): Promise<void> {
    await this.until(() => (this.finalCount >= count ? true : undefined), timeoutMs, `${count} closed klines`);
  }

  /** Kline payloads so far, unwrapped from the combined wrapper where present. */
  klines(): KlineMessage[] {
    const out: KlineMessage[] = [];
    for (const m of this.messages) {
      const j = m.json as any;
      const payload = j && typeof j === 'object' && 'stream' in j && 'data' in j ? j.data : j;
      if (payload && payload.e === 'kline') out.push(payload as KlineMessage);
    }
    return out;
  }

  finals(): KlineMessage[] {
    return this.klines().filter((k) => k.k.x);
  }

  terminate(): void {
    this.ws.terminate();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Resolves after `ms`: only to prove that nothing happens in a window, never to wait for something. */
export function quietWindow(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
