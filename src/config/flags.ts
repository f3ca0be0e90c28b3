/**
 * The one place FLAG_* variables are read. Values are trimmed and case-insensitive; an empty value
 * counts as unset. Anything that is not a clear on/off stops the program: a typo in a kill switch
 * must not silently mean "trading on".
 */
import { TradeloopError } from '../errors.ts';

export const FLAG_NAMES = ['FLAG_REALTIME', 'FLAG_TRADING_HALTED'] as const;
export type FlagName = (typeof FLAG_NAMES)[number];

export interface Flags {
  /** Realtime mode may run at all. Off by default. */
  readonly realtime: boolean;
  /** Kill switch: every new order is rejected with reason trading_halted. Off by default. */
  readonly tradingHalted: boolean;
}

export class FlagError extends TradeloopError {
  override name = 'FlagError';
  constructor(message: string) {
    super('TL_FLAG', message);
  }
}

const ON = new Set(['1', 'true', 'yes', 'on']);
const OFF = new Set(['0', 'false', 'no', 'off']);

export function readFlag(env: Readonly<Record<string, string | undefined>>, name: FlagName): boolean {
  const raw = env[name];
  if (raw === undefined) return false;
  const value = raw.trim().toLowerCase();
  if (value === '' || OFF.has(value)) return false;
  if (ON.has(value)) return true;
  throw new FlagError(`${name}=${JSON.stringify(raw)} is not a valid value. Use 1, true, yes or on to turn it on; 0, false, no, off or unset to turn it off.`);
}

export function readFlags(env: Readonly<Record<string, string | undefined>> = process.env): Flags {
  return { realtime: readFlag(env, 'FLAG_REALTIME'), tradingHalted: readFlag(env, 'FLAG_TRADING_HALTED') };
}
