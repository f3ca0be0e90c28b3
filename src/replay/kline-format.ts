/**
 * Binance's wire text for klines, WebSocket and REST alike, from one kline state. Spot sends every
 * price and quantity as a string padded to 8 decimals ("46692.06000000"), so a client's parser sees
 * exactly what production sends, not our shortest form (formatPrice).
 */
import { PRICE_DECIMALS, PRICE_SCALE } from '../domain/price.ts';

const ZEROS = '00000000';

/** Integer ticks of 1e-8 as Binance's 8-decimal string: 4669206000000 → "46692.06000000". */
export function formatPrice8(ticks: number): string {
  const negative = ticks < 0;
  const abs = negative ? -ticks : ticks;
  const whole = Math.floor(abs / PRICE_SCALE);
  const frac = `${abs - whole * PRICE_SCALE}`;
  const padded = frac.length === PRICE_DECIMALS ? frac : ZEROS.slice(frac.length) + frac;
  return `${negative ? '-' : ''}${whole}.${padded}`;
}

/** A float quantity (volume) as an 8-decimal string; volume is never used for money. */
export function formatQty8(value: number): string {
  return value.toFixed(PRICE_DECIMALS);
}

/** One kline as it stands at a moment: the still-forming candle (x:false) or the final one. */
export interface KlineState {
  readonly openTime: number;
  readonly closeTime: number;
  /** Trade ids: -1 both when no trade happened yet (as Binance sends an empty kline). */
  readonly firstTradeId: number;
  readonly lastTradeId: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly trades: number;
  readonly quoteVolume: number;
  readonly takerBuyVolume: number;
  readonly takerBuyQuoteVolume: number;
}

/**
 * The raw stream payload. `symbolJson` is the symbol already JSON-quoted: it is the same for every
 * message of a symbol, and may hold non-ASCII names (Binance's testnet lists some).
 */
export function klinePayload(symbolJson: string, intervalJson: string, k: KlineState, eventTime: number, closed: boolean): string {
  return (
    `{"e":"kline","E":${eventTime},"s":${symbolJson},"k":{"t":${k.openTime},"T":${k.closeTime},"s":${symbolJson},` +
    `"i":${intervalJson},"f":${k.firstTradeId},"L":${k.lastTradeId},"o":"${formatPrice8(k.open)}","c":"${formatPrice8(k.close)}",` +
    `"h":"${formatPrice8(k.high)}","l":"${formatPrice8(k.low)}","v":"${formatQty8(k.volume)}","n":${k.trades},"x":${closed},` +
    `"q":"${formatQty8(k.quoteVolume)}","V":"${formatQty8(k.takerBuyVolume)}","Q":"${formatQty8(k.takerBuyQuoteVolume)}","B":"0"}}`
  );
}

/** The combined-stream wrapper; `streamJson` is the stream name already JSON-quoted. */
export function combinedPayload(streamJson: string, payload: string): string {
  return `{"stream":${streamJson},"data":${payload}}`;
}

/** One row of GET /api/v3/klines: times and counts are numbers, prices and volumes strings. */
export function klineRow(k: KlineState): string {
  return (
    `[${k.openTime},"${formatPrice8(k.open)}","${formatPrice8(k.high)}","${formatPrice8(k.low)}","${formatPrice8(k.close)}",` +
    `"${formatQty8(k.volume)}",${k.closeTime},"${formatQty8(k.quoteVolume)}",${k.trades},"${formatQty8(k.takerBuyVolume)}",` +
    `"${formatQty8(k.takerBuyQuoteVolume)}","0"]`
  );
}
