/**
 * What a live session does before its feed connects: lock its state folder (named by the flag the
 * user gave), then take the clock offset and the strategy's warm-up from the upstream's history,
 * refused by name where that fails (an unknown symbol: exit 2; an upstream out of reach: exit 1).
 */
import { TradeloopError, UsageError } from '../errors.ts';
import type { LiveHistory, WarmupHistory } from '../feed/live-feed.ts';
import type { SessionConfig } from './session-config.ts';
import { openStateDir } from './session-shell.ts';

/** A live session could not start: the upstream unreachable, history not loaded (exit 1). */
export class StartupError extends TradeloopError {
  override name = 'StartupError';
  constructor(message: string) {
    super('TL_STARTUP', message);
  }
}

/** Clock offset, then the warm-up history; the refusals' words are the source's own (they name the URL). */
export async function loadHistory(live: LiveHistory, warmup: number): Promise<WarmupHistory> {
  const time = await live.syncClock();
  if (!time.ok) throw new StartupError(time.refusal.message);
  const r = await live.loadWarmup(warmup, time.value);
  if (r.ok) return r.value;
  if (r.refusal.kind === 'invalid_symbol') throw new UsageError(r.refusal.message);
  throw new StartupError(r.refusal.message);
}

/** The state folder is --out unless --state names one: a refusal then names the flag that was given. */
export function openLiveState(opts: SessionConfig): ReturnType<typeof openStateDir> {
  try {
    return openStateDir(opts.stateDir ?? opts.out ?? null);
  } catch (err) {
    if (err instanceof UsageError && opts.stateDir === null && opts.out !== null) {
      throw new UsageError(err.message.replace(`--state ${opts.out}`, `--out ${opts.out} (the session's state folder too)`));
    }
    throw err;
  }
}
