/**
 * The command line's exit statuses live with the error codes in src/errors.ts; this keeps the
 * refusal that names its own status (a journal that cannot be read: 4; a verify that diverged: 1).
 */
import { EXIT, type ExitCode, TradeloopError } from '../errors.ts';

export { EXIT } from '../errors.ts';

/** A refusal with its own exit status. */
export class CliRefusal extends TradeloopError {
  override name = 'CliRefusal';
  constructor(message: string, exitCode: ExitCode) {
    super(
      exitCode === EXIT.unreadable ? 'TL_JOURNAL' : exitCode === EXIT.noSession ? 'TL_NO_SESSION' : exitCode === EXIT.usage ? 'TL_USAGE' : 'TL_REFUSED',
      message,
      exitCode,
    );
  }
}
