/** The log changed under the cleaning (deleted, truncated, closed) or the cleaning was stopped. */
export class CleaningAbortedError extends Error {
  override readonly name = 'CleaningAbortedError';
}
