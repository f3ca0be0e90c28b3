/**
 * SIGINT and SIGTERM for a run. The first asks for a clean stop (drain, run_end, summary.json). A
 * terminal's Ctrl-C reaches the process twice when a parent such as npx forwards it as well, so a
 * second signal is not a reason to give up the summary; a third within one second is a person who
 * wants out now: the process exits at once (status 130), saying what was not written.
 */
import type { CliIo } from './cli-io.ts';

export const FORCE_WINDOW_MS = 1000;
export const FORCED_EXIT_STATUS = 130;

export interface StopSignals {
  /** Resolves with the signal's name at the first one. */
  readonly requested: Promise<string>;
  /** The first signal's name once one came, else null. */
  readonly signal: string | null;
  dispose(): void;
}

export interface StopSignalOptions {
  /** What an immediate exit leaves unwritten, for the message. */
  readonly unwritten: () => string;
  /** Injected for tests: the clock and the exit. */
  readonly now?: () => number;
  readonly exit?: (status: number) => void;
  readonly target?: Pick<NodeJS.Process, 'on' | 'off'>;
}

export function listenForStop(io: CliIo, options: StopSignalOptions): StopSignals {
  const now = options.now ?? (() => performance.now());
  const exit = options.exit ?? ((status: number) => process.exit(status));
  const target = options.target ?? process;
  const times: number[] = [];
  let first: string | null = null;
  let resolve!: (s: string) => void;
  const requested = new Promise<string>((r) => (resolve = r));
  const handler = (signal: string): void => {
    const t = now();
    times.push(t);
    while (times.length > 0 && t - times[0]! > FORCE_WINDOW_MS) times.shift();
    if (first === null) {
      first = signal;
      io.stderr(
        `tradeloop: ${signal}: stopping cleanly (the queue is drained, run_end and summary.json are written). Send it three times within a second to exit at once.\n`,
      );
      resolve(signal);
      return;
    }
    if (times.length >= 3) {
      io.stderr(`tradeloop: ${signal} again: exiting at once. Not written: ${options.unwritten()}.\n`);
      exit(FORCED_EXIT_STATUS);
    }
  };
  target.on('SIGINT', handler);
  target.on('SIGTERM', handler);
  return {
    requested,
    get signal() {
      return first;
    },
    dispose() {
      target.off('SIGINT', handler);
      target.off('SIGTERM', handler);
    },
  };
}
