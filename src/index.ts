/**
 * tradeloop as a library: run a backtest from code, and write strategies against the same types
 * and helpers the built-ins use. The command line (`tradeloop`) comes with the package.
 */
export { backtest, type BacktestOptions, type BacktestResult } from './api/backtest.ts';
export { startSession, type SessionHandle, type SessionOptions } from './api/start-session.ts';
export { ERROR_CODES, EXIT, TradeloopError, type ErrorCode } from './errors.ts';
export type { CommandResult } from './session/commands.ts';
export type { SessionStatus } from './session/status.ts';
export {
  checkKnownParams,
  intParam,
  numParam,
  StrategyParamError,
  type OrderUpdate,
  type Strategy,
  type StrategyContext,
  type StrategyFactory,
  type StrategyParams,
} from './strategy/strategy.ts';
export type { BarHistory } from './strategy/bar-window.ts';
export type { Bar, CancelIntent, Intent, LimitIntent, LimitOrder, MarketIntent, MarketOrder, Order, OrderIntent, RestingOrder, Side } from './domain/types.ts';
export type { RunSummary, TradeEvent } from './events/types.ts';
