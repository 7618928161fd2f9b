/** Why one job could not be printed: a code for the center, and whether another attempt may succeed. */
export class JobFailure extends Error {
  constructor(
    readonly code: string,
    detail: string,
    readonly retryable: boolean,
  ) {
    super(`${code}: ${detail}`);
  }
}
