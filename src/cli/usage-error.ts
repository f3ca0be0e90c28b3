/** A refusal of the command line: exit status 2, with a message that names the flag and the fix. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
