/**
 * Every error tradeloop raises on purpose carries a code from this one list, and each code has the
 * exit status the command line ends with for it. A script, or a program using the library, tells
 * refusals apart by `code`, never by class or message text (ws's createError is the model: one
 * place attaches the code and the status). Exceptions without a code are bugs.
 */

/** Every exit status tradeloop's commands return, in one table, so scripts and the README can rely on them. */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** A fatal data or strategy error (after the log and summary are written), a refused command, a diverged verify. */
  failed: 1,
  /** A usage, flag or configuration refusal: nothing ran. */
  usage: 2,
  /** No session runs at --state. */
  noSession: 3,
  /** The journal cannot be read: damaged, cut short, or written by a newer tradeloop. */
  unreadable: 4,
  /** A cycle stuck past --cycle-timeout (128 + SIGUSR2). */
  watchdog: 140,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The codes, each with the exit status the command line gives it. */
export const ERROR_CODES = {
  /** A flag, option or configuration refused before anything ran. */
  TL_USAGE: EXIT.usage,
  /** A FLAG_* environment variable with a value that is neither on nor off. */
  TL_FLAG: EXIT.usage,
  /** --strategy names nothing loadable, or a module that is not a strategy. */
  TL_STRATEGY_LOAD: EXIT.usage,
  /** A --param the strategy refuses. */
  TL_STRATEGY_PARAM: EXIT.usage,
  /** The state folder cannot be used (another session holds it, another user could write it). */
  TL_STATE_DIR: EXIT.usage,
  /** A file of a run (report, export) that is no run's. */
  TL_RUN_INPUT: EXIT.usage,
  /** Input data refused mid-run: a bad CSV row, too many skipped rows. */
  TL_DATA: EXIT.failed,
  /** The strategy threw or tried to end the process (static mode). */
  TL_STRATEGY_RUNTIME: EXIT.failed,
  /** events.ndjson, trades.csv or equity.csv could not be written. */
  TL_EVENT_LOG: EXIT.failed,
  /** A realtime session could not start: the REST API unreachable, history not loaded. */
  TL_STARTUP: EXIT.failed,
  /** A command refused by the session, or a verify that diverged. */
  TL_REFUSED: EXIT.failed,
  /** No session runs at --state. */
  TL_NO_SESSION: EXIT.noSession,
  /** The journal cannot be read or written. */
  TL_JOURNAL: EXIT.unreadable,
} as const satisfies Record<string, ExitCode>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The base of every error tradeloop raises on purpose: a message a person can act on, and a code a program can. */
export class TradeloopError extends Error {
  override name = 'TradeloopError';
  readonly code: ErrorCode;
  /** The command line's exit status for it: the code's, unless the refusal names its own. */
  readonly exitCode: ExitCode;
  constructor(code: ErrorCode, message: string, exitCode?: ExitCode, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.exitCode = exitCode ?? ERROR_CODES[code];
  }
}

/** A refusal of the command line or of an option given from code: exit 2, naming the flag and the fix. */
export class UsageError extends TradeloopError {
  override name = 'UsageError';
  constructor(message: string) {
    super('TL_USAGE', message);
  }
}

/** Whether a value is one of tradeloop's own errors (across module copies: checked by shape, not class). */
export function isTradeloopError(err: unknown): err is TradeloopError {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}
