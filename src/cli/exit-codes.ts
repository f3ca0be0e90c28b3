/**
 * Every exit status tradeloop's commands return, in one table, so that a script can rely on them
 * and the README can list them.
 */
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

/** A refusal with its own exit status (the UsageError family exits 2). */
export class CliRefusal extends Error {
  override readonly name = 'CliRefusal';
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}
