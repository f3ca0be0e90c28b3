/**
 * The bracket rules on the book (broker/brackets.ts) for fills of any quantity. Fills are whole
 * today; these drive the rules with fills smaller than their orders, booked as a partial fill
 * would be (the order's rest kept on the book), so the exits follow an entry and each other part
 * by part: armed for what filled, grown by later entry fills, a partial exit shrinking its
 * sibling, cut to the position, and the entry's rest cancelled once both exits are gone.
 */
import { oneFeeRate } from '../../src/broker/fees.ts';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PaperBroker, type RestingOutcome } from '../../src/broker/paper-broker.ts';
import { makeInstrument } from '../../src/broker/instrument.ts';
import type { LimitOrder, Order } from '../../src/domain/types.ts';

const T = 100_000_000;
const instruments = new Map([['SPY', makeInstrument('SPY', '1')!]]);

function broker(): PaperBroker {
  const b = new PaperBroker({ cash: 100_000n * 100_000_000n, fees: oneFeeRate(instruments.keys(), 0n), slippageBpsE4: 0n, instruments });
  b.mark('SPY', 100 * T);
  return b;
}

const ENTRY: LimitOrder = {
  orderId: 'E',
  symbol: 'SPY',
  side: 'buy',
  qty: 10,
  createdAt: 0,
  orderType: 'limit',
  limitPrice: 98 * T,
  takeProfit: 104 * T,
  stopLoss: 95 * T,
};

/** Books `qty` of a resting order at `price` as a partial fill would: the fill, the rest left on the book (or the order gone), then what follows. */
function fillPart(b: PaperBroker, order: Order, qty: number, price: number): readonly RestingOutcome[] {
  const fill = b.execute({ ...order, qty }, price);
  const resting = b.find(order.symbol, order.orderId);
  if (resting && resting.qty > qty) b.resize(order.symbol, order.orderId, resting.qty - qty);
  else if (resting) b.cancel(order.symbol, order.orderId);
  return b.afterFill(order, fill, 60_000);
}

const book = (b: PaperBroker) => b.restingOrders('SPY').map((o) => [o.orderId, o.orderType, o.qty]);
const said = (outcomes: readonly RestingOutcome[]) =>
  outcomes.map((o) =>
    'placed' in o ? ['placed', o.placed.orderId, o.placed.qty] : 'cancelled' in o ? ['cancelled', o.cancelled.orderId, o.refusal.detail] : ['fill'],
  );

test('an entry filled in parts arms its exits for the first part and grows them by the next; a partial exit shrinks its sibling', () => {
  const b = broker();
  b.rest(ENTRY);
  // 6 of 10 fill: the exits rest for 6, the entry's rest (4) still works.
  assert.deepEqual(said(fillPart(b, ENTRY, 6, 98 * T)), [
    ['placed', 'E-tp', 6],
    ['placed', 'E-sl', 6],
  ]);
  assert.deepEqual(book(b), [
    ['E', 'limit', 4],
    ['E-tp', 'limit', 6],
    ['E-sl', 'stop', 6],
  ]);
  // The pair counts once on the sell side: 6, not 12.
  assert.equal(b.restingQty('SPY', 'sell'), 6);
  // The other 4 fill: no new exits, the two grow to 10.
  assert.deepEqual(said(fillPart(b, ENTRY, 4, 98 * T)), []);
  assert.deepEqual(book(b), [
    ['E-tp', 'limit', 10],
    ['E-sl', 'stop', 10],
  ]);
  // The take-profit fills 3: the stop-loss shrinks by 3 (position 7, both at 7).
  const tp = b.find('SPY', 'E-tp')!;
  assert.deepEqual(said(fillPart(b, tp, 3, 104 * T)), []);
  assert.deepEqual(book(b), [
    ['E-tp', 'limit', 7],
    ['E-sl', 'stop', 7],
  ]);
  assert.equal(b.position('SPY'), 7);
  // Its other 7 fill: the stop-loss reaches 0 and is cancelled; flat, nothing rests.
  assert.deepEqual(said(fillPart(b, b.find('SPY', 'E-tp')!, 7, 104 * T)), [['cancelled', 'E-sl', 'one-cancels-other: E-tp filled']]);
  assert.deepEqual(book(b), []);
  assert.equal(b.position('SPY'), 0);
  // 10 × (104 − 98) realized.
  assert.equal(b.realized, 60n * 100_000_000n);
});

test("once both exits are gone the bracket is over: the entry's unfilled rest is cancelled too", () => {
  const b = broker();
  b.rest(ENTRY);
  fillPart(b, ENTRY, 6, 98 * T);
  // The strategy cancels the stop-loss: the take-profit follows, and the entry's rest of 4, which
  // would otherwise open a position no exit protects.
  const sl = b.cancel('SPY', 'E-sl')!;
  assert.deepEqual(said(b.afterCancel(sl)), [
    ['cancelled', 'E-tp', 'one-cancels-other: E-sl was cancelled'],
    ['cancelled', 'E', "its bracket's exits are done: the rest of the entry would open a position nothing protects"],
  ]);
  assert.deepEqual(book(b), []);
  assert.equal(b.position('SPY'), 6);
  // An order with no link brings nothing when cancelled.
  b.rest({ orderId: 'L', symbol: 'SPY', side: 'sell', qty: 1, createdAt: 0, orderType: 'limit', limitPrice: 110 * T });
  assert.deepEqual(said(b.afterCancel(b.cancel('SPY', 'L')!)), []);
});

test('a buy bracket that first covers a short arms exits only for the long it leaves; another fill cuts exits to the position', () => {
  const b = broker();
  b.execute({ orderId: 'S', symbol: 'SPY', side: 'sell', qty: 4, createdAt: 0, orderType: 'market' }, 100 * T);
  b.rest(ENTRY);
  // All 10 fill at 98: 4 cover the short, 6 are long: the exits are for 6.
  assert.deepEqual(said(fillPart(b, ENTRY, 10, 98 * T)), [
    ['placed', 'E-tp', 6],
    ['placed', 'E-sl', 6],
  ]);
  // A plain sell of 2 (position 4): both exits are cut to 4, with no event of their own.
  assert.deepEqual(said(fillPart(b, { orderId: 'X', symbol: 'SPY', side: 'sell', qty: 2, createdAt: 0, orderType: 'market' }, 2, 99 * T)), []);
  assert.deepEqual(book(b), [
    ['E-tp', 'limit', 4],
    ['E-sl', 'stop', 4],
  ]);
  // A sell of 7 flips the position short 3: both exits (sells) would grow the short, so they leave.
  assert.deepEqual(said(fillPart(b, { orderId: 'Y', symbol: 'SPY', side: 'sell', qty: 7, createdAt: 0, orderType: 'market' }, 7, 99 * T)), [
    ['cancelled', 'E-tp', 'the SPY position it protected is closed: an exit never opens one'],
    ['cancelled', 'E-sl', 'the SPY position it protected is closed: an exit never opens one'],
  ]);
  assert.deepEqual(book(b), []);

  // A cover that leaves the position flat arms nothing at all.
  const flat = broker();
  flat.execute({ orderId: 'S', symbol: 'SPY', side: 'sell', qty: 10, createdAt: 0, orderType: 'market' }, 100 * T);
  flat.rest(ENTRY);
  assert.deepEqual(said(fillPart(flat, ENTRY, 10, 98 * T)), []);
  assert.deepEqual(book(flat), []);
});

test("the pair's cash hold is its dearer leg; with its sibling gone a leg holds for itself", () => {
  const b = broker();
  b.execute({ orderId: 'S', symbol: 'SPY', side: 'sell', qty: 10, createdAt: 0, orderType: 'market' }, 100 * T);
  const short: Order = { orderId: 'F', symbol: 'SPY', side: 'sell', qty: 5, createdAt: 0, orderType: 'market', takeProfit: 90 * T, stopLoss: 110 * T };
  fillPart(b, short, 5, 100 * T);
  // Exits: a buy limit 5 at 90 (450) and a buy stop 5 at 110 (550): 550 held, not 1 000.
  assert.equal(b.restingBuyCost(), 550n * 100_000_000n);
  assert.equal(b.restingQty('SPY', 'buy'), 5);
  // The stop leg gone (not through the rules: a bare removal), the limit holds its own 450.
  b.cancel('SPY', 'F-sl');
  assert.equal(b.restingBuyCost(), 450n * 100_000_000n);
  assert.equal(b.restingQty('SPY', 'buy'), 5);
});
