/**
 * A user strategy's own thread. It has its own module graph: a strategy that imports the gate's
 * module and patches it patches this thread's copy, which decides nothing. Bars and the account's
 * figures arrive as numbers through shared memory (channel.ts); intents leave as JSON text.
 *
 * After loading, the thread serves calls synchronously forever, so no timer or promise of the
 * strategy's ever runs between bars. While strategy code runs, process.exit and its kin throw
 * (the loop sees the strategy's error); a failure of this thread itself is reported to the loop
 * before the thread ends, so the loop never waits on a thread that is gone.
 */
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { makeInstrument, type Instrument } from '../../broker/instrument.ts';
import type { Bar, BarOrigin, RestingOrder } from '../../domain/types.ts';
import { CycleContext, knownFacts } from '../../engine/cycle-context.ts';
import { readIntents } from '../../engine/intents.ts';
import { NO_UPDATES, updatesFromWire } from '../../engine/order-updates.ts';
import { importFactory, makeStrategy, StrategyLoadError } from '../load-strategy.ts';
import { StrategyParamError, type Strategy } from '../strategy.ts';
import {
  B_CASH,
  B_EQUITY,
  B_UNREALIZED,
  channelViews,
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
  THREW,
  toWire,
} from './channel.ts';

interface Setup {
  readonly spec: string;
  readonly path: string;
  readonly params: Record<string, string>;
  readonly buffer: SharedArrayBuffer;
}

/** What the loop sends beside the numbers, only when something changed. */
interface RequestText {
  /** New entries of the string table, in index order. */
  readonly s?: readonly string[];
  /** This symbol's resting orders, when they changed since the last call for it. */
  readonly o?: readonly RestingOrder[];
  /** Cash and equity as text when they do not fit in 64 bits. */
  readonly cash?: string;
  readonly equity?: string;
  readonly unrealizedPnl?: string;
  /** This symbol's order updates since its previous decided bar, when there are any. */
  readonly u?: readonly Record<string, unknown>[];
}

class ExitAttempt extends Error {
  override readonly name = 'ExitAttempt';
}

const setup = workerData as Setup;
const views = channelViews(setup.buffer);
const { ints, nums, bigs } = views;
const port = parentPort!;
// Captured before any strategy code runs: the strategy may replace the globals of this thread.
const stringify = JSON.stringify;
const parse = JSON.parse;
const { load: atomicLoad, store: atomicStore, notify: atomicNotify, wait: atomicWait } = Atomics;

/** True while strategy code runs (its import, its factory, onBar). */
let inStrategy = false;

function answer(status: number, text: string): void {
  let len = text.length === 0 ? 0 : putText(views, text);
  if (len < 0) {
    status = THREW;
    len = putText(views, stringify({ e: { m: `onBar returned more than ${views.text.length} bytes of intents`, w: '' } }));
  }
  ints[STATUS] = status;
  ints[RES_LEN] = len;
  atomicStore(ints, STATE, RESPONSE);
  if (atomicLoad(ints, LOOP_ASLEEP) !== 0) atomicNotify(ints, STATE);
}

/** This thread is ending (its own failure): the loop gets an answer that says so, not silence. */
function gone(why: string): void {
  answer(GONE, stringify({ e: { m: `the strategy's thread ended: ${why.slice(0, 300)}`, w: '' } }));
}

/**
 * A strategy's console.log goes out at once, in order. A worker's stdout is a stream the worker's
 * own event loop drains, and this thread's loop never turns again once it serves bars: without
 * this, the first line came out and every later one was lost.
 */
function syncOutput(): void {
  for (const [stream, fd] of [
    [process.stdout, 1],
    [process.stderr, 2],
  ] as const) {
    (stream as unknown as { write: (chunk: unknown, ...rest: unknown[]) => boolean }).write = (chunk: unknown, ...rest: unknown[]) => {
      try {
        writeSync(fd, typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
      } catch {
        // A closed stdout (| head) is not the strategy's failure.
      }
      const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      done?.();
      return true;
    };
  }
}

/** process.exit and its kin: thrown inside strategy code; otherwise this thread is ending, and says so first. */
function guardExits(): void {
  for (const name of ['exit', 'reallyExit', 'abort', 'kill'] as const) {
    const original = (process as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!;
    Object.defineProperty(process, name, {
      value: (...args: unknown[]) => {
        if (inStrategy) {
          throw new ExitAttempt(
            `the strategy called process.${name}(${args
              .map((a) => stringify(a) ?? String(a))
              .join(', ')
              .slice(0, 60)}), which a strategy may not do`,
          );
        }
        if (name === 'exit' || name === 'reallyExit') gone(`process.${name}(${String(args[0] ?? '')})`);
        return original.apply(process, args);
      },
      writable: false,
      configurable: false,
      enumerable: false,
    });
  }
  process.on('uncaughtException', (err) => {
    gone(String((err as Error)?.stack ?? err));
    process.exitCode = 1;
  });
}

async function load(): Promise<Strategy | null> {
  try {
    guardExits();
    syncOutput();
    inStrategy = true;
    const factory = await importFactory(setup.spec, setup.path);
    return makeStrategy(setup.spec, factory, setup.params);
  } catch (err) {
    const message =
      err instanceof StrategyLoadError || err instanceof StrategyParamError
        ? err.message
        : `--strategy ${setup.spec}: the module failed to load: ${(err as Error)?.message ?? String(err)}`;
    port.postMessage({ type: 'refused', kind: err instanceof StrategyParamError ? 'param' : 'load', message: String(message).slice(0, 2000) });
    return null;
  } finally {
    inStrategy = false;
  }
}

/**
 * The strategy's own line for an error: the first stack frame outside this harness and tradeloop's
 * intent reader (process.exit's guard and readIntents throw on the strategy's behalf); none when
 * there is no such frame.
 */
function where(err: unknown): string {
  const frames = String((err as Error | undefined)?.stack ?? '')
    .split('\n')
    .slice(1);
  const own = frames.find((f) => !f.includes('/strategy/isolated/') && !f.includes('/engine/intents.'));
  return String(own ?? '').slice(0, 500);
}

class Server {
  private readonly strings: string[] = [];
  private readonly orders = new Map<string, readonly RestingOrder[]>();
  private readonly instruments: Instrument[] = [];
  private readonly ctx = new CycleContext();
  private readonly noOrders: readonly RestingOrder[] = Object.freeze([]);
  private readonly strategy: Strategy;

  constructor(strategy: Strategy, warmup: number) {
    this.strategy = strategy;
    this.ctx.historySize = Math.max(1, warmup);
  }

  run(): never {
    for (;;) {
      let spins = 0;
      for (let state = atomicLoad(ints, STATE); state !== REQUEST; state = atomicLoad(ints, STATE)) {
        if (++spins > SPIN) {
          atomicStore(ints, WORKER_ASLEEP, 1);
          atomicWait(ints, STATE, state);
          atomicStore(ints, WORKER_ASLEEP, 0);
        }
      }
      atomicStore(ints, PICKED, 1);
      let status = OK;
      let text = '';
      try {
        text = this.handle();
      } catch (err) {
        status = THREW;
        const e = err as Error | undefined;
        text = stringify({ e: { m: String(e?.message ?? err).slice(0, 300), w: where(err) } });
      }
      answer(status, text);
    }
  }

  /** One call: the bar (and what changed) in, the answer's text out ('' for no intents). */
  private handle(): string {
    const reqLen = ints[REQ_LEN]!;
    const extra = reqLen > 0 ? (parse(getText(views, reqLen)) as RequestText) : null;
    if (extra?.s) for (const text of extra.s) this.strings[this.strings.length] = text;
    const symbol = this.strings[ints[I_SYMBOL]!]!;
    if (extra?.o) this.orders.set(symbol, Object.freeze(extra.o.map((o) => Object.freeze(o))));
    const bar: Bar = Object.freeze({
      symbol,
      interval: this.strings[ints[I_INTERVAL]!]!,
      openTime: nums[N_OPEN_TIME]!,
      closeTime: nums[N_CLOSE_TIME]!,
      open: nums[N_OPEN]!,
      high: nums[N_HIGH]!,
      low: nums[N_LOW]!,
      close: nums[N_CLOSE]!,
      volume: nums[N_VOLUME]!,
      source: this.strings[ints[I_SOURCE]!] as BarOrigin,
    });
    if (ints[OP] === OP_WARM) {
      this.ctx.window(symbol).push(bar);
      return '';
    }
    return this.decide(bar, extra);
  }

  private decide(bar: Bar, extra: RequestText | null): string {
    const ctx = this.ctx;
    const decimals = ints[I_LOT_DECIMALS]!;
    const inst = (this.instruments[decimals] ??= makeInstrument(bar.symbol, decimals === 0 ? '1' : `0.${'0'.repeat(decimals - 1)}1`)!);
    const cash = extra?.cash !== undefined ? BigInt(extra.cash) : bigs[B_CASH]!;
    const equity = extra?.equity !== undefined ? BigInt(extra.equity) : bigs[B_EQUITY]!;
    const before = ctx.subLot.count;
    const unrealizedPnl = extra?.unrealizedPnl !== undefined ? BigInt(extra.unrealizedPnl) : bigs[B_UNREALIZED]!;
    const entry = nums[N_ENTRY]!;
    const facts = knownFacts(Number.isNaN(entry) ? null : entry, unrealizedPnl);
    ctx.prepare(
      bar,
      inst,
      nums[N_POSITION]!,
      this.orders.get(bar.symbol) ?? this.noOrders,
      cash,
      equity,
      facts,
      extra?.u ? updatesFromWire(extra.u) : NO_UPDATES,
    );
    inStrategy = true;
    let returned: unknown;
    try {
      returned = readIntents(this.strategy.onBar(bar, ctx));
    } finally {
      inStrategy = false;
    }
    const intents = returned as ReturnType<typeof readIntents>;
    const subLot = ctx.subLot.count - before;
    if (intents.length === 0 && subLot === 0) return '';
    const out: { i: unknown[]; l?: unknown[] } = { i: [] };
    for (const r of intents) {
      out.i[out.i.length] =
        r.kind === 'cancel'
          ? [r.orderId.slice(0, 200)]
          : [
              toWire(r.side),
              toWire(r.qty),
              toWire(r.orderType),
              toWire(r.limitPrice),
              toWire(r.stopPrice),
              toWire(r.trailBps),
              toWire(r.takeProfit),
              toWire(r.stopLoss),
              toWire(r.timeInForce),
              toWire(r.expireAfterBars),
              toWire(r.postOnly),
              toWire(r.reduceOnly),
            ];
    }
    if (subLot > 0) out.l = [subLot, ctx.subLot.money.toString(), ctx.subLot.price];
    return stringify(out);
  }
}

const strategy = await load();
if (strategy !== null) {
  port.postMessage({ type: 'ready', name: String(strategy.name).slice(0, 200), warmup: strategy.warmup });
  new Server(strategy, strategy.warmup).run();
}
