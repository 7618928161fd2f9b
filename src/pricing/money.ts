/**
 * Exact integer money arithmetic: amounts are minor units, and past 2^53 a JS number silently stops
 * being an exact integer, so every product and sum is checked with Number.isSafeInteger.
 *
 * Pure: no database, no GraphQL.
 */

export /** a × b, or null when the exact result is not a safe integer. */
function safeMultiply(a: number, b: number): number | null {
  // If the exact product exceeds 2^53 the rounded one does too, so checking
  // the rounded result is enough; within range the product is exact.
  const product = a * b;
  return Number.isSafeInteger(product) ? product : null;
}

/** The sum, or null when any term is null or a partial sum is not a safe integer. */
export function safeSum(amounts: ReadonlyArray<number | null>): number | null {
  let sum = 0;
  for (const amount of amounts) {
    if (amount === null) {
      return null;
    }
    sum += amount;
    if (!Number.isSafeInteger(sum)) {
      return null;
    }
  }
  return sum;
}
