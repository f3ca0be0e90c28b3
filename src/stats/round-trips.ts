/**
 * Round trips from fills, per symbol, at average cost, the way the paper broker books them: a trip
 * opens when a position leaves flat and closes when it returns to flat. Fills that add to it raise
 * its quantity; fills that reduce it book their realized PnL to it. A fill that flips the position
 * closes one trip and opens the other: its realized PnL belongs to the closing trip, and its fee is
 * split between the two in proportion to the quantity (the closing share rounded down).
 *
 * A trip's PnL is net of fees: Σ realized PnL of its fills − Σ its fees (entry and exit). Because
 * the broker books equity = start − fees + realized + unrealized, the closed trips' PnL plus the
 * open trips' (realized so far − fees + unrealized) is exactly final equity − start.
 *
 * Each fill also brings its order's type, who sent it and its slippage (fill-costs.ts). A trip's
 * entry and exit order types name every type among its entry (exit) fills, in the order they first
 * filled, joined by `+` (`stop+market`: part stopped out, the rest sold at market); `exitBy` does
 * the same for the senders (`strategy`, `operator` for a flatten). A flip's slippage is split like
 * its fee; its type is the closing trip's last exit and the next trip's entry.
 */
import type { FillEvent } from '../events/types.ts';
import { divRound } from './decimal.ts';
import type { FillCost } from './fill-costs.ts';

export interface Trip {
  readonly symbol: string;
  readonly side: 'long' | 'short';
  /** openTime (ms) of the bar whose cycle made the first entry fill, and of the last exit fill. */
  readonly entryTime: number;
  readonly exitTime: number | null;
  /** Quantity-weighted average prices of the entry and exit fills, 1e-8 units (exit: the last mark while open). */
  readonly entryPrice: bigint;
  readonly exitPrice: bigint | null;
  /** Quantity entered (asset units in 1e-8): the sum of the fills that opened or added to the trip. */
  readonly qty: bigint;
  /** Net of fees, 1e-8 money units. */
  readonly pnl: bigint;
  readonly fees: bigint;
  /** The symbol's bars from the entry fill's bar to the exit fill's bar (0: in and out on one bar). */
  readonly barsHeld: number;
  readonly open: boolean;
  /** The order types of the entry fills and of the exit fills ('' before any exit), `+`-joined in the order first filled. */
  readonly entryOrderType: string;
  readonly exitOrderType: string;
  /** Who sent the exit fills' orders: `strategy`, `operator`, or both `+`-joined; '' before any exit. */
  readonly exitBy: string;
  /** Σ of its fills' slippage against their decision closes, 1e-8 money units, positive a cost. */
  readonly slippage: bigint;
}

interface OpenTrip {
  side: 'long' | 'short';
  entryTime: number;
  entryBar: number;
  exitTime: number;
  entered: bigint;
  entryNotional: bigint;
  exited: bigint;
  exitNotional: bigint;
  realized: bigint;
  fees: bigint;
  entryTypes: string;
  exitTypes: string;
  exitBy: string;
  slippage: bigint;
}

/** `list` with `name` added unless it holds it already: 'stop' + 'market' → 'stop+market'. */
function withName(list: string, name: string): string {
  if (list === '') return name;
  if (list === name || list.split('+').includes(name)) return list;
  return `${list}+${name}`;
}

interface SymbolBook {
  /** Signed position, 1e-8 asset units. */
  position: bigint;
  trip: OpenTrip | null;
}

/** What an open trip is worth now, from the broker at the end of the run. */
export interface OpenMark {
  /** Market value − basis of the position (1e-8 money units). */
  readonly unrealized: bigint;
  /** The last mark (1e-8 price units). */
  readonly price: bigint;
}

export class TripBook {
  private readonly books = new Map<string, SymbolBook>();
  private readonly onClose: (trip: Trip) => void;
  /** The symbol's accepted bars so far (bars held count these); asked only at fills, never per bar. */
  private readonly barsOf: (symbol: string) => number;
  /** 1e-8 asset units in one lot of the symbol (10^(8 − lot decimals)): fills carry lots, trips count asset units. */
  private readonly unitsPerLot: (symbol: string) => bigint;
  closed = 0;

  constructor(onClose: (trip: Trip) => void, barsOf: (symbol: string) => number, unitsPerLot: (symbol: string) => bigint) {
    this.onClose = onClose;
    this.barsOf = barsOf;
    this.unitsPerLot = unitsPerLot;
  }

  private book(symbol: string): SymbolBook {
    let b = this.books.get(symbol);
    if (b === undefined) {
      b = { position: 0n, trip: null };
      this.books.set(symbol, b);
    }
    return b;
  }

  fill(f: FillEvent, cost: FillCost): void {
    const b = this.book(f.symbol);
    const bars = this.barsOf(f.symbol);
    const qty = BigInt(f.qty) * this.unitsPerLot(f.symbol);
    const price = BigInt(f.price);
    const fee = f.fee;
    const realized = f.realizedPnl;
    const old = b.position;
    const q = f.side === 'buy' ? qty : -qty;
    b.position = old + q;
    const trip = b.trip;
    if (trip === null || old === 0n) {
      b.trip = this.start(q, qty, price, fee, f.openTime, bars, cost.orderType, cost.slippage);
      b.trip.realized += realized;
      return;
    }
    if (old > 0n === q > 0n) {
      trip.entered += qty;
      trip.entryNotional += price * qty;
      trip.fees += fee;
      trip.realized += realized;
      trip.entryTypes = withName(trip.entryTypes, cost.orderType);
      trip.slippage += cost.slippage;
      return;
    }
    const held = old < 0n ? -old : old;
    const closing = qty < held ? qty : held;
    trip.exited += closing;
    trip.exitNotional += price * closing;
    trip.exitTime = f.openTime;
    trip.realized += realized;
    const feeClose = closing === qty ? fee : (fee * closing) / qty;
    trip.fees += feeClose;
    const slipClose = closing === qty ? cost.slippage : (cost.slippage * closing) / qty;
    trip.slippage += slipClose;
    trip.exitTypes = withName(trip.exitTypes, cost.orderType);
    trip.exitBy = withName(trip.exitBy, cost.by);
    if (b.position === 0n || qty > held) {
      this.finish(f.symbol, trip, bars);
      b.trip = qty > held ? this.start(q, qty - held, price, fee - feeClose, f.openTime, bars, cost.orderType, cost.slippage - slipClose) : null;
    }
  }

  private start(q: bigint, qty: bigint, price: bigint, fee: bigint, time: number, bar: number, orderType: string, slippage: bigint): OpenTrip {
    return {
      side: q > 0n ? 'long' : 'short',
      entryTime: time,
      entryBar: bar,
      exitTime: time,
      entered: qty,
      entryNotional: price * qty,
      exited: 0n,
      exitNotional: 0n,
      realized: 0n,
      fees: fee,
      entryTypes: orderType,
      exitTypes: '',
      exitBy: '',
      slippage,
    };
  }

  private finish(symbol: string, t: OpenTrip, bar: number): void {
    this.closed++;
    this.onClose({
      symbol,
      side: t.side,
      entryTime: t.entryTime,
      exitTime: t.exitTime,
      entryPrice: divRound(t.entryNotional, t.entered),
      exitPrice: divRound(t.exitNotional, t.exited),
      qty: t.entered,
      pnl: t.realized - t.fees,
      fees: t.fees,
      barsHeld: bar - t.entryBar,
      open: false,
      entryOrderType: t.entryTypes,
      exitOrderType: t.exitTypes,
      exitBy: t.exitBy,
      slippage: t.slippage,
    });
  }

  /** The trips still open, valued with the broker's marks, in the order of `symbols`. */
  openTrips(symbols: readonly string[], mark: (symbol: string) => OpenMark): Trip[] {
    const out: Trip[] = [];
    for (const symbol of symbols) {
      const b = this.books.get(symbol);
      const t = b?.trip;
      if (!b || !t || b.position === 0n) continue;
      const m = mark(symbol);
      out.push({
        symbol,
        side: t.side,
        entryTime: t.entryTime,
        exitTime: null,
        entryPrice: divRound(t.entryNotional, t.entered),
        exitPrice: m.price,
        qty: t.entered,
        pnl: t.realized - t.fees + m.unrealized,
        fees: t.fees,
        barsHeld: this.barsOf(symbol) - t.entryBar,
        open: true,
        entryOrderType: t.entryTypes,
        exitOrderType: t.exitTypes,
        exitBy: t.exitBy,
        slippage: t.slippage,
      });
    }
    return out;
  }
}
