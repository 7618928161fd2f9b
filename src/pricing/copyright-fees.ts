/**
 * Copyright fees (seed 003, Fig. 26): a charged image adds its rights holder's fee per sheet for
 * every placement of the image in a sub-order.
 *
 * Pure: no database, no GraphQL.
 */
import { safeMultiply } from "./money";

export interface ImageFeeResult {
  imageId: string;
  feePerSheet: number;
  sheets: number;
  subtotal: number;
}

/**
 * The fees of a sub-order's items printed on `sheets` sheets, per item (not per distinct image:
 * each placement of the image is a use); items whose image is not charged cost nothing. Answers
 * the first image whose fee is too large to be represented exactly instead, if any.
 */
export function copyrightFees(
  chargedImages: ReadonlyMap<string, number>,
  items: ReadonlyArray<{ imageId: string }>,
  sheets: number,
): { fees: ImageFeeResult[] } | { tooLarge: string } {
  const fees: ImageFeeResult[] = [];
  for (const item of items) {
    const feePerSheet = chargedImages.get(item.imageId);
    if (feePerSheet === undefined) {
      continue;
    }
    const subtotal = safeMultiply(feePerSheet, sheets);
    if (subtotal === null) {
      return { tooLarge: item.imageId };
    }
    fees.push({ imageId: item.imageId, feePerSheet, sheets, subtotal });
  }
  return { fees };
}
