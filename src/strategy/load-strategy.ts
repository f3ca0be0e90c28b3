/**
 * Resolves --strategy: a built-in name, or a path to a module whose default export is a
 * StrategyFactory. Paths resolve against the working directory, as a user expects of a CLI.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createBuyAndHold } from './buy-and-hold.ts';
import { createHold } from './hold.ts';
import { createSmaCross } from './sma-cross.ts';
import { StrategyParamError, type Strategy, type StrategyFactory, type StrategyParams } from './strategy.ts';

export const BUILTIN_STRATEGIES: Readonly<Record<string, StrategyFactory>> = {
  'sma-cross': createSmaCross,
  hold: createHold,
  'buy-and-hold': createBuyAndHold,
};

export class StrategyLoadError extends Error {
  override readonly name = 'StrategyLoadError';
}

function looksLikePath(spec: string): boolean {
  return spec.includes('/') || spec.includes('\\') || /\.(ts|js|mjs|mts)$/.test(spec);
}

export async function loadStrategy(spec: string, params: StrategyParams): Promise<Strategy> {
  // Own properties only: BUILTIN_STRATEGIES['toString'] is Object.prototype's, not a strategy.
  let factory = Object.hasOwn(BUILTIN_STRATEGIES, spec) ? BUILTIN_STRATEGIES[spec] : undefined;
  if (!factory) {
    if (!looksLikePath(spec)) {
      throw new StrategyLoadError(`--strategy ${spec}: no built-in strategy of that name (built-ins: ${Object.keys(BUILTIN_STRATEGIES).join(', ')}). For your own, pass a file path such as ./my-strategy.ts.`);
    }
    const abs = resolve(process.cwd(), spec);
    if (!existsSync(abs)) throw new StrategyLoadError(`--strategy ${spec}: file not found (${abs}).`);
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
    } catch (err) {
      throw new StrategyLoadError(`--strategy ${spec}: the module failed to load: ${(err as Error).message}`);
    }
    if (typeof mod.default !== 'function') {
      throw new StrategyLoadError(`--strategy ${spec}: the module must export default a factory function (params) => ({ name, warmup, onBar }). See README "Writing a strategy".`);
    }
    factory = mod.default as StrategyFactory;
  }
  let strategy: Strategy;
  try {
    strategy = factory(params);
  } catch (err) {
    if (err instanceof StrategyParamError) throw err;
    throw new StrategyLoadError(`--strategy ${spec}: the factory threw: ${(err as Error).message}`);
  }
  if (!strategy || typeof strategy.onBar !== 'function' || typeof strategy.name !== 'string') {
    throw new StrategyLoadError(`--strategy ${spec}: the factory must return { name: string, warmup: number, onBar(bar, ctx) }.`);
  }
  if (!Number.isInteger(strategy.warmup) || strategy.warmup < 0) {
    throw new StrategyLoadError(`--strategy ${spec}: warmup must be a non-negative integer, got ${String(strategy.warmup)}.`);
  }
  return strategy;
}
