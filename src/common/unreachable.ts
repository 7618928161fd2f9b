/** For exhaustive switches: the compiler proves this is never reached. Pure: pure modules use it too. */
export function unreachable(value: never): never {
  throw new TypeError(`Unreachable case: ${JSON.stringify(value)}`);
}
