/**
 * What the risk checks may read of the account: a narrow view the paper broker offers, so a
 * check never depends on the concrete broker (and a test can hand it any account it needs).
 */
import type { Side } from '../domain/types.ts';

export interface AccountView {
  /** Free cash, 1e-8 units. */
  readonly cash: bigint;
  equity(): bigint;
  /** Signed position in lots. */
  position(symbol: string): number;
  /** Lots resting on one side of a symbol: what could still fill without a new decision. */
  restingQty(symbol: string, side: Side): number;
  /** Cash the resting buys of every symbol would spend at the worst price each can fill at, fees included. */
  restingBuyCost(): bigint;
  /** Σ |market value| over the symbols other than `except`. */
  grossExcept(except: string): bigint;
  /** What a buy of `lots` at `price` costs, fee included. */
  costOf(price: number, lots: number, symbol: string): bigint;
  /** The symbol's last mark (its newest close), 0 before any. */
  lastMark(symbol: string): number;
}
