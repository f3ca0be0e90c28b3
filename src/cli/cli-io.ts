/** The command line writes for people through the session's Terminal: the process's stdout and stderr. */
export type { Terminal as CliIo } from '../session/terminal.ts';
