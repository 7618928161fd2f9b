/**
 * Whose lab is it: the one scope check of every operation that names a lab (its registry entry,
 * its keys, its reports). A lab belongs to a shop; the center admin reaches every lab, a shop-group
 * admin the labs of their group's shops, and, where an operation admits them, a shop admin their
 * own shop's labs.
 */
import type { EntityManager } from "typeorm";
import { forbidden, notFound, RollbackWithErrors, userError } from "../common/errors";
import type { Field } from "../common/catalog-checks";
import { forUpdate } from "../db/locks";
import type { RequestContext } from "../core/request-context";
import { adminShopId, managesShopAsGroup } from "../identity/scope";
import { LabEntity } from "./lab.entity";

export interface LabScopeOptions {
  /** Where to report an unknown lab: a payload error on this field (rolling back). Without it, a thrown NOT_FOUND. */
  field?: Field;
  /** Holds the lab's row until commit (on MariaDB): the caller is about to change the lab. */
  forUpdate?: boolean;
  /** Shop admins reach their own shop's labs as well (reading its reports). */
  shopAdmins?: boolean;
}

/**
 * The lab named exactly (MariaDB compares ids ignoring letter case; a reference must name the id
 * exactly on both engines), if the caller administers it. Unknown: NOT_FOUND (see `field`);
 * another's: FORBIDDEN.
 */
export async function labInScope(ctx: RequestContext, em: EntityManager, labId: string, opts: LabScopeOptions = {}): Promise<LabEntity> {
  const found = await em.findOne(LabEntity, { where: { id: labId }, ...(opts.forUpdate ? forUpdate(em) : {}) });
  const lab = found !== null && found.id === labId ? found : null;
  if (!lab) {
    if (opts.field) throw new RollbackWithErrors([userError("NOT_FOUND", `No lab ${labId}`, opts.field)]);
    throw notFound(`No lab ${labId}`);
  }
  if (opts.shopAdmins && adminShopId(ctx) !== null && adminShopId(ctx) === lab.shopId) return lab;
  if (await managesShopAsGroup(ctx, em, lab.shopId)) return lab;
  throw forbidden(`Lab ${labId} is not one of your labs`);
}
