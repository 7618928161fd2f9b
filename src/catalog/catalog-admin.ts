/**
 * What the catalog's admin services share (seed 003, Fig. 19-21): who may manage what, the NOT_FOUND
 * answer, the change reports (S21016) and the invalidation of the price book.
 *
 * Who may do what: the center admin everything, and only they manage shops, shop groups, a shop's
 * group, services, products and charged images. A shop-group admin renames their own group and
 * manages the templates of their group and of its shops. The resolvers admit the roles; the scope
 * ("this group admin, this group") is checked in the services, next to the data.
 *
 * Every operation is one transaction that checks everything before its first write and returns the
 * faults as payload errors with nothing written. Ids are chosen by the caller and, like the bundle
 * import, unique per kind ignoring letter case (MariaDB compares them so), while references must
 * name an id exactly. The admins concerned are told of each change in the same transaction, and
 * caches that price orders are invalidated after commit.
 */
import type { Field } from "../common/catalog-checks";
import { forbidden, RollbackWithErrors, userError } from "../common/errors";
import type { Tx } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import { adminGroupId, isCenterAdmin } from "../identity/scope";
import type { ChangeScope, NoticeLinks, NotificationsService } from "../notifications/notifications.service";

export interface NamedInput {
  id: string;
  name: string;
}
export interface NameChange {
  name?: string | null;
}

export function requireCenterAdmin(ctx: RequestContext): void {
  if (!isCenterAdmin(ctx)) throw forbidden("Only the center admin manages this");
}

/** Templates (and a group's name) are managed by the center admin and by group admins, within their group (checked per entity). */
export function requireCenterOrGroupAdmin(ctx: RequestContext): void {
  if (!isCenterAdmin(ctx) && adminGroupId(ctx) === null) throw forbidden("Only the center admin and shop-group admins manage this");
}

export function notFound(what: string, id: string, field: Field): RollbackWithErrors {
  return new RollbackWithErrors([userError("NOT_FOUND", `No ${what} ${id}`, field)]);
}

/** Tells the admins concerned of a change, in the transaction that makes it. */
export async function reportChange(
  notifications: NotificationsService,
  ctx: RequestContext,
  tx: Tx,
  kind: string,
  message: string,
  scope: ChangeScope,
  links?: NoticeLinks,
): Promise<void> {
  await notifications.reportChange(ctx, tx, { kind, message, scope, links });
}

/**
 * Quotes depend on templates, their products, a shop's group and charged images: the whole price
 * book is dropped after commit (other catalog changes say "catalog", which caches of the catalog
 * itself listen to).
 */
export function invalidatePrices(tx: Tx): void {
  tx.emit("invalidate", { kind: "prices" });
}

export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
