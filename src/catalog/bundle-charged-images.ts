/** The charged images of a bundle: an image id, a fee per sheet and who holds the rights. */
import { checkFields, readList, requiredId, requiredMoney, requiredName, type Entry, type Faults, type Obj } from "./bundle-fields";
import type { BundleChargedImage } from "./bundle-types";

export function readChargedImages(json: Obj, f: Faults): Array<Entry<BundleChargedImage>> {
  return readList<BundleChargedImage>(json, "chargedImages", f, (o, p) => {
    checkFields(o, p, ["imageId", "feePerSheet", "rightsHolder"], f);
    return {
      imageId: requiredId(o, "imageId", p, f),
      feePerSheet: requiredMoney(o, "feePerSheet", p, f),
      rightsHolder: requiredName(o, "rightsHolder", p, f, 200),
    };
  });
}
