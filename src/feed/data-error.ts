/**
 * Invalid input at the boundary (a file, a flag, a message): the one kind of exception the loop
 * throws on purpose. Its message names where the bad value came from and what to do.
 */
import { TradeloopError } from '../errors.ts';
export class DataError extends TradeloopError {
  override name = 'DataError';
  constructor(message: string) {
    super('TL_DATA', message);
  }
}
