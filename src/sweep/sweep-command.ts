/** `tradeloop sweep` at the command line: the options parsed (or the help), the sweep run, its exit code. */
import type { Flags } from '../config/flags.ts';
import type { Terminal } from '../session/terminal.ts';
import { runSweep } from './sweep.ts';
import { parseSweepOptions, SWEEP_USAGE } from './sweep-options.ts';

export async function sweepCommand(argv: readonly string[], flags: Flags, io: Terminal): Promise<number> {
  const opts = parseSweepOptions(argv);
  if (opts === 'help') {
    io.stdout(SWEEP_USAGE);
    return 0;
  }
  return (await runSweep(opts, flags, io)).exitCode;
}
