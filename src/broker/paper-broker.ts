/**
 * The paper broker: fills, cash, positions and marks, all integer. No code path here or anywhere
 * else sends an order off the machine.
 *
 * Accounting identity, exact after any sequence of fills:
 *   equity = cash + Σ marketValue = startCash − fees + realized + Σ (marketValue − basis)
 * because each fill books realized = cashFlow + Δbasis, whatever rounding the basis split used.
 */
import { BPS_E4_ONE, divCeil, divFloor } from '../domain/money.ts';
import type { Bar, Fill, MarketOrder, Order, RestingOrder, Side } from '../domain/types.ts';
import type { AccountView } from './account-view.ts';
import { barPath } from './bar-path.ts';
import { matchOrder, worstBuyPrice, type PathFill } from './matchers.ts';
import { formatLots, notionalDown, notionalUp, type Instrument } from './instrument.ts';
import { capLots, participationNumber } from './participation.ts';
import { endChances, iocEnd, plan, reducible, restOf, type EndReason } from './fill-chance.ts';

export interface BrokerConfig {
  readonly cash: bigint;
  /** Fee and slippage in 1e-4 bps (see parseBps). */
  readonly feeBpsE4: bigint;
  readonly slippageBpsE4: bigint;
  readonly instruments: ReadonlyMap<string, Instrument>;
  /**
   * --max-participation as 1e-8 units (0.1 is 10_000_000n): a bar fills at most this share of its
   * volume per symbol. Absent or null: no cap (unit tests of other things; the command line always sets one).
   */
  readonly maxParticipationE8?: bigint | null;
}

const NO_OUTCOMES: readonly never[] = Object.freeze([]);

/** What the gate says of a piece of an order about to fill: null when it may. */
export type AdmitFill = (order: RestingOrder, price: number) => { readonly reason: string; readonly detail?: string } | null;

/**
 * What became of an order a bar reached: filled (`remaining` lots left working, 0 when complete),
 * cancelled for the gate's reason, or ended by its time in force or reduce-only (the rest of it,
 * after a partial fill, or all of it).
 */
export type RestingOutcome =
  | { readonly fill: Fill; readonly remaining: number }
  | { readonly cancelled: RestingOrder; readonly refusal: { readonly reason: string; readonly detail?: string } }
  | { readonly ended: Order; readonly reason: EndReason; readonly detail: string };

interface Book {
  qty: number;
  basis: bigint;
  mark: number;
  marketValue: bigint;
  /** The bar (openTime) whose participation cap capLeft counts down, and the lots it still lets fill. */
  capTime: number;
  capLeft: number;
}

export class PaperBroker implements AccountView {
  readonly startCash: bigint;
  cash: bigint;
  fees = 0n;
  realized = 0n;
  /** Round trips closed: a position returning to flat or flipping side. */
  trades = 0;
  private marketValueTotal = 0n;
  private readonly books = new Map<string, Book>();
  private readonly resting = new Map<string, RestingOrder[]>();
  /** Frozen copies of each symbol's resting orders for strategies, rebuilt only when the book changes. */
  private readonly views = new Map<string, readonly RestingOrder[]>();
  private readonly config: BrokerConfig;

  constructor(config: BrokerConfig) {
    this.config = config;
    this.startCash = config.cash;
    this.cash = config.cash;
  }

  instrument(symbol: string): Instrument {
    const inst = this.config.instruments.get(symbol);
    if (!inst) throw new Error(`no instrument for ${symbol}`); // a bug: the CLI builds one per symbol
    return inst;
  }

  private book(symbol: string): Book {
    let b = this.books.get(symbol);
    if (!b) {
      b = { qty: 0, basis: 0n, mark: 0, marketValue: 0n, capTime: -1, capLeft: 0 };
      this.books.set(symbol, b);
    }
    return b;
  }

  position(symbol: string): number {
    return this.books.get(symbol)?.qty ?? 0;
  }

  basis(symbol: string): bigint {
    return this.books.get(symbol)?.basis ?? 0n;
  }

  symbols(): string[] {
    return [...this.books.keys()];
  }

  equity(): bigint {
    return this.cash + this.marketValueTotal;
  }

  marketValue(symbol: string): bigint {
    return this.books.get(symbol)?.marketValue ?? 0n;
  }

  /** Σ |marketValue| over symbols other than `except`: the rest of the gross exposure. */
  grossExcept(except: string): bigint {
    let gross = 0n;
    for (const [symbol, b] of this.books) {
      if (symbol !== except) gross += b.marketValue < 0n ? -b.marketValue : b.marketValue;
    }
    return gross;
  }

  unrealized(): bigint {
    let u = 0n;
    for (const b of this.books.values()) u += b.marketValue - b.basis;
    return u;
  }

  lastMark(symbol: string): number {
    return this.books.get(symbol)?.mark ?? 0;
  }

  /** Marks a symbol at a price (its bar's close). Longs round down, shorts up: against the trader. */
  mark(symbol: string, price: number): void {
    const b = this.book(symbol);
    b.mark = price;
    if (b.qty === 0 && b.marketValue === 0n) return;
    const mv = divFloor(BigInt(b.qty) * BigInt(price), this.instrument(symbol).lotDiv);
    this.marketValueTotal += mv - b.marketValue;
    b.marketValue = mv;
  }

  /**
   * The price a market order fills at: the close moved against the order by the slippage, and
   * never below one tick (a sell of a 1-tick close less 1 bp would otherwise fill at 0, a price at
   * which no notional limit binds).
   */
  marketPrice(side: Side, close: number): number {
    const s = this.config.slippageBpsE4;
    if (s === 0n) return close;
    return side === 'buy'
      ? Number(divCeil(BigInt(close) * (BPS_E4_ONE + s), BPS_E4_ONE))
      : Math.max(1, Number(divFloor(BigInt(close) * (BPS_E4_ONE - s), BPS_E4_ONE)));
  }

  feeOn(notional: bigint): bigint {
    return divCeil(notional * this.config.feeBpsE4, BPS_E4_ONE);
  }

  /** What a buy of `lots` at `price` costs, fee included. */
  costOf(price: number, lots: number, symbol: string): bigint {
    const n = notionalUp(price, lots, this.instrument(symbol));
    return n + this.feeOn(n);
  }

  /** Executes an order at a price, books it, and re-marks the symbol at its last mark. */
  execute(order: Order, price: number): Fill {
    const inst = this.instrument(order.symbol);
    const b = this.book(order.symbol);
    const buy = order.side === 'buy';
    const notional = buy ? notionalUp(price, order.qty, inst) : notionalDown(price, order.qty, inst);
    const fee = this.feeOn(notional);
    const q = buy ? order.qty : -order.qty;
    const signedN = buy ? notional : -notional;
    const cashFlow = -signedN;
    const old = b.qty;
    const next = old + q;
    let basis: bigint;
    if (old === 0 || old > 0 === q > 0) basis = b.basis + signedN;
    // Floor, not truncation: the basis left (or taken by a flip) rounds down, so the realized
    // PnL booked now rounds against the trader for shorts as well as longs.
    else if (Math.abs(q) <= Math.abs(old)) basis = divFloor(b.basis * BigInt(next), BigInt(old));
    else basis = divFloor(signedN * BigInt(next), BigInt(q));
    const realized = cashFlow + (basis - b.basis);
    if (old !== 0 && (next === 0 || next > 0 !== old > 0)) this.trades++;
    b.qty = next;
    b.basis = basis;
    this.cash += cashFlow - fee;
    this.fees += fee;
    this.realized += realized;
    this.mark(order.symbol, b.mark === 0 ? price : b.mark);
    return {
      orderId: order.orderId,
      symbol: order.symbol,
      side: order.side,
      qty: order.qty,
      price,
      fee,
      cashFlow,
      realized,
      cashAfter: this.cash,
      positionAfter: next,
    };
  }

  /** Accepts an order to rest until a later bar fills it (its type's matcher says when). */
  rest(order: RestingOrder): void {
    let list = this.resting.get(order.symbol);
    if (!list) {
      list = [];
      this.resting.set(order.symbol, list);
    }
    list.push(Object.isFrozen(order) ? order : Object.freeze({ ...order }));
    this.views.delete(order.symbol);
  }

  /**
   * This symbol's resting orders as a frozen array of frozen orders: what a strategy sees. It can
   * neither enlarge an order nor slip one onto the book (the book is the broker's own array).
   */
  restingOrders(symbol: string): readonly RestingOrder[] {
    let view = this.views.get(symbol);
    if (view === undefined) {
      view = Object.freeze((this.resting.get(symbol) ?? []).slice());
      this.views.set(symbol, view);
    }
    return view;
  }

  /** Symbols that have resting orders, in the order they first rested (deterministic in every mode). */
  restingSymbols(): string[] {
    const out: string[] = [];
    for (const [symbol, list] of this.resting) if (list.length > 0) out.push(symbol);
    return out;
  }

  get restingCount(): number {
    let n = 0;
    for (const list of this.resting.values()) n += list.length;
    return n;
  }

  /** Lots resting on one side of a symbol: what could still fill without a new decision. */
  restingQty(symbol: string, side: Side): number {
    let qty = 0;
    for (const o of this.resting.get(symbol) ?? []) if (o.side === side) qty += o.qty;
    return qty;
  }

  /** Cash the resting buys of every symbol would spend at the worst price each can fill at, fees included. */
  restingBuyCost(): bigint {
    let cost = 0n;
    for (const list of this.resting.values()) {
      for (const o of list) if (o.side === 'buy') cost += this.costOf(worstBuyPrice(o), o.qty, o.symbol);
    }
    return cost;
  }

  /** Removes a resting order; returns it, or undefined if no such order rests. */
  cancel(symbol: string, orderId: string): RestingOrder | undefined {
    const list = this.resting.get(symbol);
    const at = list?.findIndex((o) => o.orderId === orderId) ?? -1;
    if (!list || at < 0) return undefined;
    this.views.delete(symbol);
    return list.splice(at, 1)[0];
  }

  /**
   * Matches this symbol's resting orders against a new bar's path, each by its type's matcher
   * (broker/matchers.ts): those the path fills are booked in the order the path reaches them
   * (placement order where it reaches two at once), each taking what the bar's participation cap
   * has left (a reduce-only one at most the position); those it changes (a trailing stop
   * ratcheted, a stop-limit triggered into a limit) rest on as changed. Each piece about to fill is
   * offered to `admit` (the risk gate) first: cash and exposure may have moved since the order was
   * placed, and by the fills before it on the same path; a refusal cancels the order. Then the
   * times in force: an IOC or FOK order whose one chance this bar was is gone, filled or not, and a
   * GTD order counts down its bars.
   */
  matchResting(bar: Bar, admit: AdmitFill): ReadonlyArray<RestingOutcome> {
    const list = this.resting.get(bar.symbol);
    // One shared empty answer: most bars have no resting order, and this runs on every bar.
    if (!list || list.length === 0) return NO_OUTCOMES;
    const path = barPath(bar);
    let fills: Array<{ order: RestingOrder; fill: PathFill }> | null = null;
    let timed = false;
    for (let i = 0; i < list.length; i++) {
      const order = list[i]!;
      if (order.timeInForce !== undefined) timed = true;
      const m = matchOrder(order, path);
      if (m.fill) (fills ??= []).push({ order, fill: m.fill });
      else if (m.rest !== order) {
        list[i] = Object.freeze(m.rest);
        this.views.delete(bar.symbol);
      }
    }
    if (fills === null && !timed) return NO_OUTCOMES;
    const out: RestingOutcome[] = [];
    if (fills !== null) {
      // Stable: placement order breaks ties.
      fills.sort((a, b) => a.fill.at - b.fill.at);
      for (const { order, fill } of fills) {
        const price = fill.taker ? this.marketPrice(order.side, fill.price) : fill.price;
        const next = this.chance(order, price, bar, admit, out);
        if (next !== order) this.replace(bar.symbol, order, next);
      }
    }
    const ends = timed ? endChances(list, this.instrument(bar.symbol)) : null;
    if (ends !== null) {
      for (const end of ends) out.push(end);
      this.views.delete(bar.symbol);
    }
    return out;
  }

  /**
   * A market order at the close of the bar that decided it (--fill-model close): it fills what the
   * bar's cap leaves (a reduce-only one at most the position); the rest, unless its time in force
   * ends it, works from the next bar's open like a next-open market order, valued at `price`.
   * The gate admitted it a moment ago at this price: it is not asked again.
   */
  fillAtClose(order: MarketOrder, price: number, bar: Bar): ReadonlyArray<RestingOutcome> {
    const out: RestingOutcome[] = [];
    const next = this.chance(order, price, bar, null, out);
    // Not order itself (a MarketOrder is not a working one): its rest, valued at this price.
    if (next !== null) this.rest(next === order ? restOf(order, order.qty, 0, price) : (next as RestingOrder));
    return out;
  }

  /** Lots `bar` may still fill for its symbol: the cap on its volume less what fills took from it. */
  private capLeft(bar: Bar): number {
    const e8 = this.config.maxParticipationE8;
    if (e8 === undefined || e8 === null) return Number.MAX_SAFE_INTEGER;
    const b = this.book(bar.symbol);
    if (b.capTime !== bar.openTime) {
      b.capTime = bar.openTime;
      b.capLeft = capLots(bar.volume, e8, this.instrument(bar.symbol).lotDiv);
    }
    return b.capLeft;
  }

  /** How the cap came to `left` lots for an order (said in an IOC's or FOK's cancel). */
  private capText(bar: Bar, inst: Instrument, left: number): string {
    const e8 = this.config.maxParticipationE8 ?? 0n;
    const all = capLots(bar.volume, e8, inst.lotDiv);
    return `the bar's volume ${bar.volume} allows ${formatLots(all, inst)} under --max-participation ${participationNumber(e8)}${left < all ? `, ${formatLots(all - left, inst)} of them taken by fills before it` : ''}`;
  }

  /**
   * One chance for `order` to fill at `price` on `bar`: what happened is appended to `out`; the
   * answer is what works on afterwards: `order` itself when nothing changed, a new order for the
   * rest, or null when it is done (filled, cancelled or ended).
   */
  private chance(
    order: RestingOrder | MarketOrder,
    price: number,
    bar: Bar,
    admit: AdmitFill | null,
    out: RestingOutcome[],
  ): RestingOrder | MarketOrder | null {
    const inst = this.instrument(order.symbol);
    const capLeft = this.capLeft(bar);
    const capText = (): string => this.capText(bar, inst, capLeft);
    const p = plan(order, { capLeft, capText, position: this.position(order.symbol) }, inst);
    if (p.end !== null) {
      out.push({ ended: order, ...p.end });
      return null;
    }
    const lots = p.lots;
    if (lots === 0) {
      if (order.timeInForce === 'IOC') {
        out.push({ ended: order, ...iocEnd(order.qty, order.qty + (order.filledQty ?? 0), capText(), inst) });
        return null;
      }
      // Nothing this bar (no volume, or the cap used up): whole for the next bar (a triggered stop as a market order).
      const kept = restOf(order, order.qty, 0, price);
      return kept.orderType === order.orderType ? order : kept;
    }
    const piece = lots === order.qty ? order : { ...order, qty: lots };
    if (admit !== null) {
      const refusal = admit(piece as RestingOrder, price);
      if (refusal) {
        out.push({ cancelled: order as RestingOrder, refusal });
        return null;
      }
    }
    if (this.config.maxParticipationE8 !== undefined && this.config.maxParticipationE8 !== null) this.book(bar.symbol).capLeft -= lots;
    const remaining = order.qty - lots;
    out.push({ fill: this.execute(piece, price), remaining });
    if (remaining === 0) return null;
    if (order.reduceOnly === true && reducible(order.side, this.position(order.symbol)) === 0) {
      out.push({
        ended: order,
        reason: 'reduce_only',
        detail: `reduce-only: the ${order.symbol} position is closed, ${formatLots(remaining, inst)} left to fill had nothing to reduce, cancelled`,
      });
      return null;
    }
    if (order.timeInForce === 'IOC') {
      out.push({ ended: order, ...iocEnd(remaining, order.qty + (order.filledQty ?? 0), capText(), inst) });
      return null;
    }
    return restOf(order, remaining, lots, price);
  }

  /** Puts `next` where `order` was on its symbol's book (placement order is kept), or takes it off when null. */
  private replace(symbol: string, order: RestingOrder, next: RestingOrder | MarketOrder | null): void {
    const list = this.resting.get(symbol)!;
    const at = list.indexOf(order);
    if (at < 0) return;
    if (next === null) list.splice(at, 1);
    else list[at] = Object.freeze(next as RestingOrder);
    this.views.delete(symbol);
  }
}
