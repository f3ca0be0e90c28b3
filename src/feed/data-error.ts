/**
 * Invalid input at the boundary (a file, a flag, a message): the one kind of exception the loop
 * throws on purpose. Its message names where the bad value came from and what to do.
 */
export class DataError extends Error {
  override readonly name = 'DataError';
}
