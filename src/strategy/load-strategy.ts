/**
 * Resolves --strategy: a built-in name, or a path to a module whose default export is a
 * StrategyFactory. Paths resolve against the working directory, as a user expects of a CLI.
 *
 * A built-in is part of tradeloop and runs on the loop's thread. A module is user code: it runs
 * in a worker of its own (isolated/isolated-strategy.ts), so that nothing it does can reach the
 * gate, the broker or the trading state.
 */
import { TradeloopError } from '../errors.ts';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBuyAndHold } from './buy-and-hold.ts';
import { createHold } from './hold.ts';
import { createSmaCross } from './sma-cross.ts';
import { StrategyParamError, type Strategy, type StrategyFactory, type StrategyParams } from './strategy.ts';

export const BUILTIN_STRATEGIES: Readonly<Record<string, StrategyFactory>> = Object.freeze({
  'sma-cross': createSmaCross,
  hold: createHold,
  'buy-and-hold': createBuyAndHold,
});

export class StrategyLoadError extends TradeloopError {
  override name = 'StrategyLoadError';
  constructor(message: string) {
    super('TL_STRATEGY_LOAD', message);
  }
}

function looksLikePath(spec: string): boolean {
  return spec.includes('/') || spec.includes('\\') || /\.(ts|js|mjs|mts)$/.test(spec);
}

/** The built-in of that name, or null for a module path; refuses a name that is neither. */
export function builtinFactory(spec: string): StrategyFactory | null {
  // Own properties only: BUILTIN_STRATEGIES['toString'] is Object.prototype's, not a strategy.
  if (Object.hasOwn(BUILTIN_STRATEGIES, spec)) return BUILTIN_STRATEGIES[spec]!;
  if (!looksLikePath(spec)) {
    throw new StrategyLoadError(
      `--strategy ${spec}: no built-in strategy of that name (built-ins: ${Object.keys(BUILTIN_STRATEGIES).join(', ')}). For your own, pass a file path such as ./my-strategy.ts.`,
    );
  }
  return null;
}

/** The absolute path of a strategy module, refused by name when there is no such file. */
export function strategyModulePath(spec: string, cwd = process.cwd()): string {
  const abs = resolve(cwd, spec);
  if (!existsSync(abs)) throw new StrategyLoadError(`--strategy ${spec}: file not found (${abs}).`);
  return abs;
}

/** Imports a strategy module and returns its default export, the factory. */
export async function importFactory(spec: string, abs: string): Promise<StrategyFactory> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (err) {
    throw new StrategyLoadError(`--strategy ${spec}: the module failed to load: ${(err as Error)?.message ?? String(err)}`);
  }
  if (typeof mod.default !== 'function') {
    throw new StrategyLoadError(
      `--strategy ${spec}: the module must export default a factory function (params) => ({ name, warmup, onBar }). See README "Writing a strategy".`,
    );
  }
  return mod.default as StrategyFactory;
}

/** Calls the factory and checks what it made. */
export function makeStrategy(spec: string, factory: StrategyFactory, params: StrategyParams): Strategy {
  let strategy: Strategy;
  try {
    strategy = factory(params);
  } catch (err) {
    if (err instanceof StrategyParamError) throw err;
    throw new StrategyLoadError(`--strategy ${spec}: the factory threw: ${(err as Error)?.message ?? String(err)}`);
  }
  if (!strategy || typeof strategy.onBar !== 'function' || typeof strategy.name !== 'string') {
    throw new StrategyLoadError(`--strategy ${spec}: the factory must return { name: string, warmup: number, onBar(bar, ctx) }.`);
  }
  if (!Number.isInteger(strategy.warmup) || strategy.warmup < 0) {
    throw new StrategyLoadError(`--strategy ${spec}: warmup must be a non-negative integer, got ${String(strategy.warmup)}.`);
  }
  return strategy;
}

export async function loadStrategy(spec: string, params: StrategyParams): Promise<Strategy> {
  const factory = builtinFactory(spec);
  if (factory) return makeStrategy(spec, factory, params);
  const abs = strategyModulePath(spec);
  const { loadIsolatedStrategy } = await import('./isolated/isolated-strategy.ts');
  return loadIsolatedStrategy(spec, abs, params);
}
