/**
 * The event log could not be written: a full disk (ENOSPC), a read-only or vanished file system
 * (EROFS, EIO), a missing folder. One typed error for both writers, naming the file and the
 * system's cause, so the drivers can end a run with exit 1 and a message a person can act on.
 */
import { TradeloopError } from '../errors.ts';

export class EventLogError extends TradeloopError {
  override name = 'EventLogError';
  /** The file that could not be written. */
  readonly path: string;
  /** The system error code (ENOSPC, EROFS, EIO, ...), or 'EUNKNOWN'. */
  readonly systemCode: string;

  constructor(path: string, systemCode: string, message: string) {
    super('TL_EVENT_LOG', message);
    this.path = path;
    this.systemCode = systemCode;
  }

  /** From a failed fs call: "cannot write PATH: ENOSPC: no space left on device, write". */
  static from(path: string, err: unknown, doing = 'write'): EventLogError {
    if (err instanceof EventLogError) return err;
    const code = typeof (err as NodeJS.ErrnoException)?.code === 'string' ? (err as NodeJS.ErrnoException).code! : 'EUNKNOWN';
    const cause = String((err as Error)?.message ?? err).slice(0, 300);
    return new EventLogError(path, code, `cannot ${doing} ${path}: ${cause}${hint(code)}`);
  }
}

function hint(code: string): string {
  if (code === 'ENOSPC' || code === 'EDQUOT') return ' (the disk is full: free some space, or point --out at another disk)';
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return ' (the folder is not writable: point --out at a writable folder)';
  return '';
}
