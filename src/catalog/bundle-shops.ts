/** The shops of a bundle: their shape and their references to a shop group and an admin user. */
import {
  checkFields,
  optionalId,
  optionalLocation,
  optionalText,
  readList,
  requiredId,
  requiredName,
  type Entry,
  type Faults,
  type Obj,
} from "./bundle-fields";
import type { RefCheck } from "./bundle-ids";
import type { BundleShop } from "./bundle-types";

export function readShops(json: Obj, f: Faults): Array<Entry<BundleShop>> {
  return readList<BundleShop>(json, "shops", f, (o, p) => {
    checkFields(o, p, ["id", "name", "shopGroupId", "adminUserId", "location", "postalCode", "region"], f);
    return {
      id: requiredId(o, "id", p, f),
      name: requiredName(o, "name", p, f, 200),
      shopGroupId: requiredId(o, "shopGroupId", p, f),
      adminUserId: optionalId(o, "adminUserId", p, f),
      location: optionalLocation(o, "location", p, f),
      postalCode: optionalText(o, "postalCode", p, f, 20),
      region: optionalText(o, "region", p, f, 100),
    };
  });
}

export function checkShopReferences(shops: Array<Entry<BundleShop>>, ref: RefCheck): void {
  for (const { value: s, path } of shops) {
    ref(`${path}.shopGroupId`, "shopGroups", s.shopGroupId);
    ref(`${path}.adminUserId`, "users", s.adminUserId);
  }
}
