/** A refusal of the command line: exit status 2 (defined with every other code in src/errors.ts). */
export { UsageError } from '../errors.ts';
