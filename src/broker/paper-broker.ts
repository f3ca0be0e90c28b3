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
import { barPath, pathFrom, type PathPoint } from './bar-path.ts';
import { followCancel, followFill, linkOf, NO_FOLLOWS, type BookFollow, type LinkedBook } from './brackets.ts';
import { matchOrder, worstBuyPrice, type PathFill } from './matchers.ts';
import { notionalDown, notionalUp, type Instrument } from './instrument.ts';
import { feeAt, higherRate, rateFor, type FeeRates, type FeeSchedule, type Liquidity } from './fees.ts';
import { BarCaps } from './participation.ts';
import { endChances, restOf } from './fill-chance.ts';
import { takeChance, type AdmitFill, type ChanceOutcome, type ChanceResult } from './take-chance.ts';

export type { AdmitFill } from './take-chance.ts';

export interface BrokerConfig {
  readonly cash: bigint;
  /** Maker and taker fee rates per symbol, in 1e-4 bps (see parseBps): every symbol traded has an entry. */
  readonly fees: FeeSchedule;
  /** Slippage in 1e-4 bps. */
  readonly slippageBpsE4: bigint;
  readonly instruments: ReadonlyMap<string, Instrument>;
  /**
   * --max-participation as 1e-8 units (0.1 is 10_000_000n): a bar fills at most this share of its
   * volume per symbol. Absent or null: no cap (unit tests of other things; the command line always sets one).
   */
  readonly maxParticipationE8?: bigint | null;
}

const NO_OUTCOMES: readonly never[] = Object.freeze([]);

/** The order as it is once a live bar reached it: at the venue like any other. */
function placedLive(order: RestingOrder): RestingOrder {
  const { waitsForLive: _, ...rest } = order;
  return Object.freeze(rest) as RestingOrder;
}

/**
 * What became of an order a bar reached: filled (`remaining` lots left working, 0 when complete),
 * cancelled for the gate's reason, or ended by its time in force or reduce-only (take-chance.ts);
 * and what a fill or a cancel brought (brackets.ts): a bracket's exit armed, a linked order cancelled.
 */
export type RestingOutcome = ChanceOutcome | BookFollow;

/** Whether an exit carries its pair's count (the larger amount; on a tie the take-profit, the limit), its sibling counting nothing. */
function carriesPair(o: RestingOrder, own: number | bigint, theirs: number | bigint): boolean {
  return own > theirs || (own === theirs && o.orderType === 'limit');
}

interface Pending {
  readonly orderId: string;
  readonly fill: PathFill;
}

interface Book {
  qty: number;
  basis: bigint;
  mark: number;
  marketValue: bigint;
}

export class PaperBroker implements AccountView, LinkedBook {
  readonly startCash: bigint;
  cash: bigint;
  fees = 0n;
  realized = 0n;
  /** Round trips closed: a position returning to flat or flipping side. */
  trades = 0;
  private marketValueTotal = 0n;
  /** Σ |marketValue|, kept as marks move it: the equity curve reads the gross exposure every slice. */
  private grossTotal = 0n;
  private readonly books = new Map<string, Book>();
  private readonly resting = new Map<string, RestingOrder[]>();
  /** Frozen copies of each symbol's resting orders for strategies, rebuilt only when the book changes. */
  private readonly views = new Map<string, readonly RestingOrder[]>();
  private readonly config: BrokerConfig;
  /** Each symbol's participation cap for the bar being matched. */
  private readonly caps: BarCaps;

  constructor(config: BrokerConfig) {
    this.config = config;
    this.caps = new BarCaps(config.maxParticipationE8 ?? null);
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
      b = { qty: 0, basis: 0n, mark: 0, marketValue: 0n };
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
    const b = this.books.get(except);
    if (b === undefined) return this.grossTotal;
    return this.grossTotal - (b.marketValue < 0n ? -b.marketValue : b.marketValue);
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
    this.grossTotal += (mv < 0n ? -mv : mv) - (b.marketValue < 0n ? -b.marketValue : b.marketValue);
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

  feeRates(symbol: string): FeeRates {
    const rates = this.config.fees[symbol];
    if (!rates) throw new Error(`no fee rates for ${symbol}`); // a bug: the options give every symbol its rates
    return rates;
  }

  /**
   * What a buy of `lots` at `price` costs, fee included. The fee is the higher of the symbol's
   * maker and taker rates: what cash is held for and checked against must cover either way the
   * order may fill (a stop-limit can fill as either).
   */
  costOf(price: number, lots: number, symbol: string): bigint {
    const n = notionalUp(price, lots, this.instrument(symbol));
    return n + feeAt(n, higherRate(this.feeRates(symbol)));
  }

  /**
   * Executes an order at a price, books it, and re-marks the symbol at its last mark. An order
   * executed at once takes liquidity (taker); a resting order the path filled says which it did.
   */
  execute(order: Order, price: number, liquidity: Liquidity = 'taker'): Fill {
    const inst = this.instrument(order.symbol);
    const b = this.book(order.symbol);
    const buy = order.side === 'buy';
    const notional = buy ? notionalUp(price, order.qty, inst) : notionalDown(price, order.qty, inst);
    const fee = feeAt(notional, rateFor(this.feeRates(order.symbol), liquidity));
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
      liquidity,
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

  /**
   * Lots resting on one side of a symbol: what could still fill without a new decision. A
   * bracket's two exits count once, the larger: one cancels the other.
   */
  restingQty(symbol: string, side: Side): number {
    let qty = 0;
    for (const o of this.resting.get(symbol) ?? []) {
      if (o.side !== side) continue;
      const sibling = this.siblingOf(o);
      if (sibling === undefined || carriesPair(o, o.qty, sibling.qty)) qty += o.qty;
    }
    return qty;
  }

  /** Cash the resting buys of every symbol would spend at the worst price each can fill at, fees included; a bracket's exits once, the dearer. */
  restingBuyCost(): bigint {
    let cost = 0n;
    for (const list of this.resting.values()) {
      for (const o of list) {
        if (o.side !== 'buy') continue;
        const own = this.costOf(worstBuyPrice(o), o.qty, o.symbol);
        const sibling = this.siblingOf(o);
        if (sibling === undefined || carriesPair(o, own, this.costOf(worstBuyPrice(sibling), sibling.qty, sibling.symbol))) cost += own;
      }
    }
    return cost;
  }

  /** A bracket exit's sibling on the book; undefined for any other order, or when it is gone. */
  private siblingOf(o: RestingOrder): RestingOrder | undefined {
    const link = linkOf(o);
    return link === null ? undefined : this.find(o.symbol, link.ocoWith);
  }

  /** A resting order by id, or undefined. */
  find(symbol: string, orderId: string): RestingOrder | undefined {
    return this.resting.get(symbol)?.find((o) => o.orderId === orderId);
  }

  /** Gives a resting order a new quantity in place (a bracket's exits follow their entry's fills and each other's). */
  resize(symbol: string, orderId: string, qty: number): void {
    const list = this.resting.get(symbol);
    const at = list?.findIndex((o) => o.orderId === orderId) ?? -1;
    if (!list || at < 0) return;
    list[at] = Object.freeze({ ...list[at]!, qty });
    this.views.delete(symbol);
  }

  /**
   * What a fill brings on the book (brackets.ts): a bracketed entry's exits armed or grown, an
   * exit's sibling shrunk or cancelled, exits cut to the position. Called after every fill.
   */
  afterFill(order: Order, fill: Fill, createdAt: number): readonly BookFollow[] {
    return followFill(this, order, fill, createdAt);
  }

  /** What an order leaving the book unfilled brings: an exit's sibling cancelled with it. */
  afterCancel(order: RestingOrder): readonly BookFollow[] {
    return linkOf(order) === null ? NO_FOLLOWS : followCancel(this, order);
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
   * has left (a reduce-only one at most the position; take-chance.ts) and working on with the rest
   * in its place on the book; those it changes (a trailing stop ratcheted, a stop-limit triggered
   * into a limit) rest on as changed. Each piece about to fill is offered to `admit` (the risk
   * gate) first: cash and exposure may have moved since the order was placed, and by the fills
   * before it on the same path; a refusal cancels the order. What a fill brings follows it
   * (brackets.ts): exits an entry armed are matched on the rest of the path from the entry's
   * fill; an order a fill before it cancelled (one-cancels-other) or resized fills as it is now.
   * Then the times in force: an IOC or FOK order whose one chance this bar was is gone, filled or
   * not, and a GTD order counts down its bars.
   *
   * An order decided on a backfilled bar (waitsForLive) is not matched against a backfilled bar:
   * it was placed after that market had passed. The symbol's first live bar drops the flag and
   * matches it like any other (a market order at that bar's open). An order placed on a live bar
   * is matched on the backfilled bars that follow: it was at the venue while the feed was down,
   * and those bars are the market it traded in.
   */
  matchResting(bar: Bar, admit: AdmitFill): ReadonlyArray<RestingOutcome> {
    const list = this.resting.get(bar.symbol);
    // One shared empty answer: most bars have no resting order, and this runs on every bar.
    if (!list || list.length === 0) return NO_OUTCOMES;
    const path = barPath(bar);
    const backfilled = bar.source === 'rest-backfill';
    const pending: Pending[] = [];
    let timed = false;
    for (let i = 0; i < list.length; i++) {
      let order = list[i]!;
      if (order.waitsForLive) {
        if (backfilled) continue;
        order = placedLive(order);
        list[i] = order;
        this.views.delete(bar.symbol);
      }
      if (order.timeInForce !== undefined) timed = true;
      const m = matchOrder(order, path);
      if (m.fill) pending.push({ orderId: order.orderId, fill: m.fill });
      else if (m.rest !== order) {
        list[i] = Object.freeze(m.rest);
        this.views.delete(bar.symbol);
      }
    }
    if (pending.length === 0 && !timed) return NO_OUTCOMES;
    // Stable: placement order breaks ties.
    pending.sort((a, b) => a.fill.at - b.fill.at);
    const out: RestingOutcome[] = [];
    for (let i = 0; i < pending.length; i++) {
      const { orderId, fill } = pending[i]!;
      const order = this.find(bar.symbol, orderId);
      if (order === undefined) continue;
      const price = fill.slips ? this.marketPrice(order.side, fill.price) : fill.price;
      const chance = takeChance(this, this.caps, order, price, fill.taker ? 'taker' : 'maker', bar, admit, out);
      if (chance.next !== order) this.replace(bar.symbol, order, chance.next);
      if (chance.filled === null) {
        if (chance.next === null) for (const follow of this.afterCancel(order)) out.push(follow);
        continue;
      }
      const from: PathPoint = { at: fill.at, price: fill.price };
      for (const follow of this.afterFill(order, chance.filled, bar.openTime)) {
        out.push(follow);
        if ('placed' in follow) this.matchArmed(follow.placed, pathFrom(path, from), pending, i + 1);
      }
    }
    const ends = timed ? endChances(list, this.instrument(bar.symbol)) : null;
    if (ends !== null) {
      this.views.delete(bar.symbol);
      for (const end of ends) {
        out.push(end);
        for (const follow of this.afterCancel(end.ended)) out.push(follow);
      }
    }
    return out;
  }

  /**
   * A market order at the close of the bar that decided it (--fill-model close): it fills what the
   * bar's cap leaves (a reduce-only one at most the position), and what the fill brings follows
   * (a bracket's exits armed); the rest, unless its time in force ends it, works from the next
   * bar's open like a next-open market order, valued at `price`. The gate admitted it a moment ago
   * at this price: it is not asked again.
   */
  fillAtClose(order: MarketOrder, price: number, bar: Bar): ReadonlyArray<RestingOutcome> {
    const out: RestingOutcome[] = [];
    const chance: ChanceResult = takeChance(this, this.caps, order, price, 'taker', bar, null, out);
    // Not order itself (a MarketOrder is not a working one): its rest, valued at this price.
    if (chance.next !== null) this.rest(chance.next === order ? restOf(order, order.qty, 0, price) : (chance.next as RestingOrder));
    if (chance.filled !== null) for (const follow of this.afterFill(order, chance.filled, bar.openTime)) out.push(follow);
    return out;
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

  /** An exit armed on this path: it is matched on what is left of it, after what already fills there. */
  private matchArmed(order: RestingOrder, rest: readonly PathPoint[], pending: Pending[], from: number): void {
    const m = matchOrder(order, rest);
    if (!m.fill) return;
    let at = from;
    while (at < pending.length && pending[at]!.fill.at <= m.fill.at) at++;
    pending.splice(at, 0, { orderId: order.orderId, fill: m.fill });
  }
}
