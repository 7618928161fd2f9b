/**
 * Who may see an image, the one rule behind both the image routes and the graph's `image` fields:
 * a stock image anyone with a credential; a person's image its owner, and an admin when an order of
 * their scope holds it (the orders domain answers that part, in a batch where it can).
 */
import type { Auth } from "../core/request-context";
import { ADMIN_ROLES } from "../identity/role";

export type ImageReadRule = "yes" | "no" | "if-in-admin-scope";

export function imageReadRule(auth: Auth, image: { stock: boolean; ownerUserId: string | null }): ImageReadRule {
  if (image.stock) return auth.kind !== "anonymous" ? "yes" : "no";
  if (auth.kind !== "user") return "no";
  if (image.ownerUserId === auth.user.id) return "yes";
  return ADMIN_ROLES.includes(auth.user.role) ? "if-in-admin-scope" : "no";
}
