/**
 * A user strategy, run on a worker thread of its own (strategy-worker.ts). A strategy is user code:
 * in the loop's thread it could import the gate's module and patch its prototype, replace a global
 * the broker uses, or end the process. On its own thread it shares no object with the loop: each
 * bar goes over as numbers, its intents come back as JSON text, and the loop reads them as it reads
 * any untrusted input (intents.ts). The call is synchronous, so the cycle's order and the run's
 * bytes are exactly those of a strategy on the loop's thread.
 */
import { Worker } from 'node:worker_threads';
import type { Bar, Intent, RestingOrder } from '../../domain/types.ts';
import { StrategyLoadError } from '../load-strategy.ts';
import { StrategyParamError, type HostedStrategy, type OrderUpdate, type StrategyContext, type StrategyParams } from '../strategy.ts';
import { CycleContext } from '../../engine/cycle-context.ts';
import {
  B_CASH,
  B_EQUITY,
  B_UNREALIZED,
  channelBuffer,
  channelViews,
  fromWire,
  getText,
  GONE,
  LOOP_ASLEEP,
  WORKER_ASLEEP,
  I_INTERVAL,
  I_LOT_DECIMALS,
  I_SOURCE,
  I_SYMBOL,
  N_CLOSE,
  N_CLOSE_TIME,
  N_ENTRY,
  N_HIGH,
  N_LOW,
  N_OPEN,
  N_OPEN_TIME,
  N_POSITION,
  N_VOLUME,
  OK,
  OP,
  OP_DECIDE,
  OP_WARM,
  PICKED,
  putText,
  REQ_LEN,
  REQUEST,
  RES_LEN,
  RESPONSE,
  SPIN,
  STATE,
  STATUS,
  type ChannelViews,
} from './channel.ts';
import { siblingModule } from '../../config/module-url.ts';
import { updatesToWire } from '../../engine/order-updates.ts';

/** A call the worker has not even picked up by then means its thread is gone or stuck outside onBar. */
const PICKUP_TIMEOUT_MS = 5000;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const inInt64 = (v: bigint) => v >= INT64_MIN && v <= INT64_MAX;

/** Raised in the loop's thread for anything the strategy's thread reports as its failure. */
class IsolatedStrategyError extends Error {
  override readonly name = 'IsolatedStrategyError';
}

export async function loadIsolatedStrategy(spec: string, path: string, params: StrategyParams): Promise<HostedStrategy> {
  const buffer = channelBuffer();
  const worker = new Worker(siblingModule('strategy-worker', import.meta.url), {
    workerData: { spec, path, params: { ...params }, buffer },
    stdout: false,
    stderr: false,
  });
  const ready = await new Promise<{ name: string; warmup: number }>((resolve, reject) => {
    worker.once('message', (m: { type?: string; kind?: string; message?: string; name?: unknown; warmup?: unknown }) => {
      if (m?.type === 'ready' && typeof m.name === 'string' && Number.isInteger(m.warmup)) resolve({ name: m.name, warmup: m.warmup as number });
      else if (m?.type === 'refused' && m.kind === 'param') reject(new StrategyParamError(String(m.message)));
      else reject(new StrategyLoadError(String(m?.message ?? `--strategy ${spec}: the module's thread sent no strategy`)));
    });
    worker.once('error', (err) => reject(new StrategyLoadError(`--strategy ${spec}: the module failed to load: ${err?.message ?? String(err)}`)));
    worker.once('exit', (code) => reject(new StrategyLoadError(`--strategy ${spec}: the module's thread ended (exit ${code}) before the strategy was made`)));
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  // From here on the worker answers only through shared memory; it never keeps the process alive.
  worker.removeAllListeners();
  worker.on('error', () => {});
  worker.unref();
  return new IsolatedStrategy(ready.name, ready.warmup, channelViews(buffer), worker);
}

class IsolatedStrategy implements HostedStrategy {
  readonly name: string;
  readonly warmup: number;
  private readonly views: ChannelViews;
  private readonly worker: Worker;
  private readonly strings = new Map<string, number>();
  private newStrings: string[] = [];
  private readonly sentOrders = new Map<string, readonly RestingOrder[]>();
  private dead: string | null = null;

  constructor(name: string, warmup: number, views: ChannelViews, worker: Worker) {
    this.name = name;
    this.warmup = warmup;
    this.views = views;
    this.worker = worker;
  }

  warm(bar: Bar): void {
    this.writeBar(bar);
    this.call(OP_WARM, this.pendingText(null, null, null));
  }

  onBar(bar: Bar, ctx: StrategyContext): readonly Intent[] {
    const { nums, bigs, ints } = this.views;
    this.writeBar(bar);
    nums[N_POSITION] = ctx.position;
    nums[N_ENTRY] = ctx.entryPrice ?? Number.NaN;
    ints[I_LOT_DECIMALS] = ctx.lotStep === '1' ? 0 : ctx.lotStep.length - 2;
    let orders: readonly RestingOrder[] | null = ctx.openOrders;
    if (this.sentOrders.get(bar.symbol) === orders) orders = null;
    else this.sentOrders.set(bar.symbol, orders);
    const fits = inInt64(ctx.cash) && inInt64(ctx.equity) && inInt64(ctx.unrealizedPnl);
    if (fits) {
      bigs[B_CASH] = ctx.cash;
      bigs[B_EQUITY] = ctx.equity;
      bigs[B_UNREALIZED] = ctx.unrealizedPnl;
    }
    const answer = this.call(OP_DECIDE, this.pendingText(orders, fits ? null : ctx, ctx.updates.length === 0 ? null : ctx.updates));
    if (answer === null) return [];
    const parsed = answer as { i?: unknown; l?: unknown };
    if (Array.isArray(parsed.l) && ctx instanceof CycleContext) {
      const [count, money, price] = parsed.l as unknown[];
      if (Number.isSafeInteger(count) && typeof money === 'string' && /^-?\d{1,40}$/.test(money) && typeof price === 'number') {
        ctx.noteSubLot(count as number, BigInt(money), price);
      }
    }
    if (!Array.isArray(parsed.i)) return [];
    // Records of untrusted values, not typed intents: the engine's readIntents and the gate check each field.
    return parsed.i.map((r: unknown) => {
      if (!Array.isArray(r)) return null;
      if (r.length === 1) return { cancel: typeof r[0] === 'string' ? r[0] : '' };
      return {
        side: fromWire(r[0]),
        qty: fromWire(r[1]),
        orderType: fromWire(r[2]),
        limitPrice: fromWire(r[3]),
        stopPrice: fromWire(r[4]),
        trailBps: fromWire(r[5]),
        takeProfit: fromWire(r[6]),
        stopLoss: fromWire(r[7]),
        timeInForce: fromWire(r[8]),
        expireAfterBars: fromWire(r[9]),
        postOnly: fromWire(r[10]),
        reduceOnly: fromWire(r[11]),
      };
    }) as unknown as readonly Intent[];
  }

  /** Ends the strategy's thread (the process ending ends it too). */
  async dispose(): Promise<void> {
    this.dead ??= 'disposed';
    await this.worker.terminate();
  }

  private index(text: string): number {
    let i = this.strings.get(text);
    if (i === undefined) {
      i = this.strings.size;
      this.strings.set(text, i);
      this.newStrings.push(text);
    }
    return i;
  }

  private writeBar(bar: Bar): void {
    const { nums, ints } = this.views;
    ints[I_SYMBOL] = this.index(bar.symbol);
    ints[I_INTERVAL] = this.index(bar.interval);
    ints[I_SOURCE] = this.index(bar.source);
    nums[N_OPEN_TIME] = bar.openTime;
    nums[N_CLOSE_TIME] = bar.closeTime;
    nums[N_OPEN] = bar.open;
    nums[N_HIGH] = bar.high;
    nums[N_LOW] = bar.low;
    nums[N_CLOSE] = bar.close;
    nums[N_VOLUME] = bar.volume;
  }

  private pendingText(orders: readonly RestingOrder[] | null, money: StrategyContext | null, updates: readonly OrderUpdate[] | null): string {
    if (this.newStrings.length === 0 && orders === null && money === null && updates === null) return '';
    const extra: Record<string, unknown> = {};
    if (this.newStrings.length > 0) extra.s = this.newStrings;
    if (orders !== null) extra.o = orders;
    if (money !== null) {
      extra.cash = money.cash.toString();
      extra.equity = money.equity.toString();
      extra.unrealizedPnl = money.unrealizedPnl.toString();
    }
    if (updates !== null) extra.u = updatesToWire(updates);
    this.newStrings = [];
    return JSON.stringify(extra);
  }

  /** One synchronous round trip; returns the answer's JSON (null when empty) or throws the strategy's error. */
  private call(op: number, text: string): unknown {
    if (this.dead !== null) throw new IsolatedStrategyError(this.dead);
    const { ints } = this.views;
    const len = text.length === 0 ? 0 : putText(this.views, text);
    if (len < 0) throw new IsolatedStrategyError(`the strategy's resting orders and order updates exceed ${this.views.text.length} bytes of text`);
    ints[OP] = op;
    ints[REQ_LEN] = len;
    ints[PICKED] = 0;
    Atomics.store(ints, STATE, REQUEST);
    // Sequentially consistent: either the worker saw REQUEST before it slept, or its ASLEEP is seen here.
    if (Atomics.load(ints, WORKER_ASLEEP) !== 0) Atomics.notify(ints, STATE);
    let spins = 0;
    let since = 0;
    while (Atomics.load(ints, STATE) !== RESPONSE) {
      if (++spins < SPIN) continue;
      if (since === 0) since = performance.now();
      Atomics.store(ints, LOOP_ASLEEP, 1);
      Atomics.wait(ints, STATE, REQUEST, 100);
      Atomics.store(ints, LOOP_ASLEEP, 0);
      if (Atomics.load(ints, PICKED) === 0 && performance.now() - since > PICKUP_TIMEOUT_MS) {
        this.dead = `strategy ${this.name}: its thread stopped answering (a bar waited ${PICKUP_TIMEOUT_MS / 1000} s to be taken)`;
        throw new IsolatedStrategyError(this.dead);
      }
    }
    const resLen = ints[RES_LEN]!;
    const status = ints[STATUS];
    if (status !== OK) {
      const e = this.parse(resLen) as { e?: { m?: unknown; w?: unknown } } | null;
      const err = new IsolatedStrategyError(String(e?.e?.m ?? 'the strategy failed'));
      if (status === GONE) this.dead = `strategy ${this.name}: ${err.message}`;
      // The worker's stack frame, so that the loop's message names the strategy's own line.
      err.stack = `${err.name}: ${err.message}\n${String(e?.e?.w ?? '')}`;
      throw err;
    }
    return resLen === 0 ? null : this.parse(resLen);
  }

  private parse(len: number): unknown {
    if (!(len > 0 && len <= this.views.text.length)) return null;
    try {
      return JSON.parse(getText(this.views, len));
    } catch {
      throw new IsolatedStrategyError("the strategy's thread answered with text that is not JSON");
    }
  }
}
