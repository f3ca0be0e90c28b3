/**
 * What a strategy returned, read exactly once into plain records before the gate or the broker see
 * any of it: a getter on `qty` cannot show the gate 1 lot and the broker a million, and an array
 * changed after the fact changes nothing. Reading may throw (a getter that throws): that is the
 * strategy's error, caught where onBar's are.
 */
export type IntentRecord =
  | { readonly kind: 'cancel'; readonly orderId: string }
  | {
      readonly kind: 'order';
      readonly side: unknown;
      readonly qty: unknown;
      readonly orderType: unknown;
      readonly limitPrice: unknown;
      readonly stopPrice: unknown;
      readonly trailBps: unknown;
      readonly takeProfit: unknown;
      readonly stopLoss: unknown;
      readonly timeInForce: unknown;
      readonly expireAfterBars: unknown;
      readonly postOnly: unknown;
      readonly reduceOnly: unknown;
    };

export const NO_INTENTS: readonly IntentRecord[] = [];

export function readIntents(returned: unknown): readonly IntentRecord[] {
  // undefined too: a strategy that forgot its return must not look like one that holds.
  if (!Array.isArray(returned)) {
    throw new TypeError(
      typeof (returned as { then?: unknown } | null | undefined)?.then === 'function'
        ? 'onBar must be synchronous: it returned a Promise (decisions cannot wait)'
        : `onBar must return an array of intents (return [] to hold), got ${returned === null ? 'null' : typeof returned}`,
    );
  }
  const n = returned.length;
  if (n === 0) return NO_INTENTS;
  const out: IntentRecord[] = [];
  for (let i = 0; i < n; i++) {
    const intent: unknown = returned[i];
    if (typeof intent !== 'object' || intent === null) {
      out.push({
        kind: 'order',
        side: undefined,
        qty: undefined,
        orderType: undefined,
        limitPrice: undefined,
        stopPrice: undefined,
        trailBps: undefined,
        takeProfit: undefined,
        stopLoss: undefined,
        timeInForce: undefined,
        expireAfterBars: undefined,
        postOnly: undefined,
        reduceOnly: undefined,
      });
      continue;
    }
    const o = intent as Record<string, unknown>;
    const cancel = o.cancel;
    if (typeof cancel === 'string') {
      out.push({ kind: 'cancel', orderId: cancel });
      continue;
    }
    out.push({
      kind: 'order',
      side: o.side,
      qty: o.qty,
      orderType: o.orderType ?? 'market',
      limitPrice: o.limitPrice,
      stopPrice: o.stopPrice,
      trailBps: o.trailBps,
      takeProfit: o.takeProfit,
      stopLoss: o.stopLoss,
      timeInForce: o.timeInForce,
      expireAfterBars: o.expireAfterBars,
      postOnly: o.postOnly,
      reduceOnly: o.reduceOnly,
    });
  }
  return out;
}
