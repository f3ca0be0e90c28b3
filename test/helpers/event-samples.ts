/** One or more events of every type, with the optional fields both present and absent: for serializer, schema and journal round trips. */
import type { TradeEvent } from '../../src/events/types.ts';

export const SAMPLE_EVENTS: readonly TradeEvent[] = [
  { type: 'run_start', runId: 'x', mode: 'static', source: 'csv', symbols: ['A'], interval: '1m', strategy: 's', params: { fast: '5' }, cash: '100', feeBps: 1, slippageBps: 0.5, maxPositionNotional: '50', maxGrossExposure: '100', lotSizes: { A: '1' }, inputs: [], warmup: 21 },
  { type: 'bar', symbol: 'BTCUSDT', interval: '1m', openTime: 1_735_689_600_000, open: 9_409_890_000_000, high: 9_409_891_000_000, low: 9_404_947_000_000, close: 9_404_947_000_000, volume: 7.50148, source: 'csv' },
  { type: 'decision', symbol: '这是测试币456', openTime: 1, action: 'buy', qty: '0.00123', intents: 1, position: '-3', equity: 10_000_012_345_678n },
  { type: 'decision', symbol: 'A', openTime: 2, action: 'hold', qty: '0', intents: 0, position: '0', equity: -5n },
  { type: 'order', orderId: 'A-1-0', symbol: 'A', openTime: 1, side: 'buy', orderType: 'limit', qty: '1', limitPrice: '9.5' },
  { type: 'order', orderId: 'A-1-1', symbol: 'A', openTime: 1, side: 'sell', orderType: 'market', qty: '1' },
  { type: 'order', orderId: 'A-1-op1', symbol: 'A', openTime: 1, side: 'sell', orderType: 'market', qty: '7', sentBy: 'operator' },
  { type: 'fill', orderId: 'A-1-0', symbol: 'A', openTime: 2, side: 'buy', qty: '1', price: '9.5', fee: '0.01', realizedPnl: '0', cash: '90.49', position: '1' },
  { type: 'fill', orderId: 'A-1-op1', symbol: 'A', openTime: 2, side: 'sell', qty: '7', price: '9.48', fee: '0.0000001', realizedPnl: '-12.34567891', cash: '-90.49', position: '-6', priceSource: 'last_update', priceTime: 1_735_689_600_123 },
  { type: 'cancel', orderId: 'A-1-0', symbol: 'A', openTime: 3, reason: 'insufficient_cash', detail: 'would fill but: costs 10' },
  { type: 'reject', symbol: 'A', openTime: 1, reason: 'trading_halted', orderId: 'A-1-2', side: 'buy', qty: '1', detail: 'halted by flag (flag)' },
  { type: 'reject', symbol: 'A', openTime: 1, reason: 'invalid_qty', side: 'sell', qty: '1.5', detail: 'not whole' },
  { type: 'skip', symbol: null, openTime: null, reason: 'malformed', origin: 'connection 1', message: 'not JSON: "{"' },
  { type: 'skip', symbol: 'A', openTime: 5, reason: 'duplicate', origin: 'A.csv', line: 9, message: 'dup' },
  { type: 'skip', symbol: 'A', openTime: 6, reason: 'malformed', origin: 'A.csv', line: 10, field: 'close', message: 'bad' },
  { type: 'halt', reason: 'feed_stale', source: 'auto', severity: 'halted', detail: 'silent', state: 'HALTED', at: 5 },
  { type: 'halt', reason: 'drawdown', source: 'auto', severity: 'reducing', detail: 'down', state: 'REDUCING' },
  { type: 'resume', reason: 'feed_stale', source: 'auto', state: 'ACTIVE', at: 6 },
  { type: 'trading_state', from: 'ACTIVE', to: 'HALTED', halts: ['feed_stale'], source: 'auto', at: 5 },
  { type: 'feed', state: 'live', detail: 'ok', at: 7 },
  { type: 'feed', state: 'stopped' },
  { type: 'alert', kind: 'latency', message: 'slow', at: 8 },
  { type: 'latency', symbol: 'A', openTime: 1, source: 'ws', eventTime: 2, closeTime: 3, recvTime: 4, modelTime: 5, brokerTime: 6, networkMs: 1.5, clockOffsetMs: -0.2, queueMs: 0.01, sliceMs: 0.5, modelMs: 0.02, brokerMs: 0.03, totalMs: 1.56 },
  { type: 'run_resume', segment: 2, afterSeq: 41, restored: { cycles: 40, cash: '100' } },
];
