/**
 * What a static run adds around the csv source, kept apart from static-run.ts: the options that
 * enter the run id only when set (so existing runs keep their ids and bytes).
 */
import { DEFAULT_MAX_SKIP_RATIO, type RunOptions } from './run-options.ts';

/** Reading options of later versions: in the run id only when they differ from the default. */
export function csvReadingKey(opts: RunOptions): Record<string, unknown> {
  return {
    ...(opts.dateFormat !== null ? { dateFormat: opts.dateFormat } : {}),
    ...(opts.maxSkipRatio !== DEFAULT_MAX_SKIP_RATIO ? { maxSkipRatio: opts.maxSkipRatio } : {}),
  };
}
