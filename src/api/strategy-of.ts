/** The strategy an API call names: a factory function (run in this process), a built-in, or a module path (its own thread). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { sha256File } from '../session/run-id.ts';
import type { SessionConfig } from '../session/session-config.ts';
import { loadStrategy, makeStrategy } from '../strategy/load-strategy.ts';
import type { Strategy, StrategyFactory } from '../strategy/strategy.ts';

export async function strategyOf(
  given: string | StrategyFactory | undefined,
  opts: SessionConfig,
): Promise<{ strategy: Strategy; strategyHash: string | null }> {
  if (typeof given === 'function') return { strategy: makeStrategy(given.name || 'strategy', given, opts.params), strategyHash: null };
  const strategy = await loadStrategy(opts.strategy, opts.params);
  const path = resolve(process.cwd(), opts.strategy);
  return { strategy, strategyHash: existsSync(path) ? await sha256File(path) : null };
}
