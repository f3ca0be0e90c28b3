/**
 * The one gate every order passes before the broker sees it: the trading state, the order's own
 * fields (read into an Order of its type), reduce-only (REDUCING's, then the order's own), bar
 * age, order rate, price band, post-only, then exposure and cash — each a small pure check (risk/checks/), run in this order so a reject names
 * the first reason that applies. A refusal is a typed value, never an exception. A resting order
 * about to fill is looked at again (phase 'fill'): cash, exposure and the state may have moved
 * since it was accepted.
 */
import { barAge } from './checks/bar-age.ts';
import type { Check, GateRequest, GateView, NewOrderRequest, Refusal, RiskLimits } from './checks/check.ts';
import { cash, exposure } from './checks/exposure.ts';
import { orderRate } from './checks/order-rate.ts';
import { orderSanity } from './checks/order-sanity.ts';
import { priceBand } from './checks/price-band.ts';
import { postOnly } from './checks/post-only.ts';
import { reduceOnly, reduceOnlyTerm } from './checks/reduce-only.ts';
import { tradingStateAtFill, tradingStateCheck } from './checks/trading-state-check.ts';
import type { AccountView } from '../broker/account-view.ts';
import type { Instrument } from '../broker/instrument.ts';
import type { Order, RestingOrder } from '../domain/types.ts';
import { unreachable } from '../domain/unreachable.ts';
import type { TradingState } from './trading-state.ts';

export type { GateRequest, NewOrderRequest, OrderDraft, Refusal, RiskLimits } from './checks/check.ts';

/** A new order admitted, as the checks read it (its typed order, its expected price), or refused. */
export type Admission = { readonly refusal: null; readonly req: GateRequest } | { readonly refusal: Refusal; readonly req?: undefined };

/** After the trading state and the order's own fields (admit): */
const NEW_ORDER: readonly Check[] = [reduceOnly, reduceOnlyTerm, barAge, orderRate, priceBand, postOnly, exposure, cash];
const AT_FILL: readonly Check[] = [tradingStateAtFill, reduceOnly, exposure, cash];

const MINUTE_MS = 60_000;

export interface RiskGateOptions {
  readonly limits: RiskLimits;
  readonly trading: TradingState;
  readonly intervalMs: number;
  /** The newest closed bar the feed delivered per symbol; absent in csv runs. */
  readonly newestClosed?: (symbol: string) => number | undefined;
}

export class RiskGate implements GateView {
  readonly limits: RiskLimits;
  readonly trading: TradingState;
  readonly intervalMs: number;
  private readonly newest: (symbol: string) => number | undefined;
  /** Bar times of accepted strategy orders within the last minute of bar time, oldest first. */
  private readonly recent: number[] = [];

  constructor(options: RiskGateOptions) {
    this.limits = options.limits;
    this.trading = options.trading;
    this.intervalMs = options.intervalMs;
    this.newest = options.newestClosed ?? (() => undefined);
  }

  get state(): GateView['state'] {
    return this.trading.state;
  }

  newestClosed(symbol: string): number | undefined {
    return this.newest(symbol);
  }

  ordersInMinute(at: number): number {
    while (this.recent.length > 0 && this.recent[0]! <= at - MINUTE_MS) this.recent.shift();
    return this.recent.length;
  }

  /** A new order: admitted as an Order of its type, or refused with the first reason that applies. */
  admit(req: NewOrderRequest, account: AccountView): Admission {
    const halted = tradingStateCheck(req, account, this);
    if (halted) return { refusal: halted };
    const terms = orderSanity(req.draft, req.inst, account);
    if (terms.refusal) return { refusal: terms.refusal };
    const checked: GateRequest = {
      order: terms.order,
      refPrice: expectedPrice(terms.order, req.marketPrice),
      inst: req.inst,
      sentBy: req.sentBy,
      phase: 'new',
      ...(req.waitsForLive ? { waitsForLive: true } : {}),
    };
    const refusal = this.run(NEW_ORDER, checked, account);
    return refusal ? { refusal } : { refusal: null, req: checked };
  }

  /** A resting order about to fill at `price`, looked at again: null when it may. */
  recheck(order: RestingOrder, price: number, inst: Instrument, account: AccountView): Refusal | null {
    return this.run(AT_FILL, { order, refPrice: price, inst, sentBy: 'strategy', phase: 'fill' }, account);
  }

  private run(checks: readonly Check[], req: GateRequest, account: AccountView): Refusal | null {
    for (const check of checks) {
      const refusal = check(req, account, this);
      if (refusal) return refusal;
    }
    return null;
  }

  /** An order passed and was placed: it counts against the order rate (operators' orders do not). */
  accepted(req: GateRequest): void {
    if (req.sentBy === 'strategy' && this.limits.maxOrdersPerMinute !== null) this.recent.push(req.order.createdAt);
  }
}

/** The price a new order is expected to fill at: what the exposure and cash checks value it at. */
function expectedPrice(order: Order, marketPrice: number): number {
  switch (order.orderType) {
    case 'market':
      return marketPrice;
    case 'limit':
    case 'stop_limit':
      return order.limitPrice;
    // A stop may fill past its price (a gap): its price is what it is valued at until the fill, when the gate looks again at the real price.
    case 'stop':
    case 'trailing_stop':
      return order.stopPrice;
    default:
      return unreachable(order);
  }
}
