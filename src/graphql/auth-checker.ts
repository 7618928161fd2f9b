/**
 * The one auth checker behind every `@Authorized(...)`: not logged in -> UNAUTHENTICATED, logged in
 * without one of the listed roles -> FORBIDDEN. `@Authorized()` with no role admits any person or
 * lab. `@Authorized(PUBLIC_READ)` (the public catalog) admits any person or lab, and anonymous callers
 * while PUBLIC_CATALOG is on. Scope rules ("this shop admin, this shop") live in the services, next to the data.
 */
import type { AuthChecker } from "type-graphql";
import { forbidden, unauthenticated } from "../common/errors";
import { LAB, PUBLIC_READ, type Principal } from "../identity/role";
import type { RequestContext } from "../core/request-context";

export function principalOf(ctx: RequestContext): Principal | null {
  switch (ctx.auth.kind) {
    case "anonymous":
      return null;
    case "user":
      return ctx.auth.user.role;
    case "lab":
      return LAB;
  }
}

export const authChecker: AuthChecker<RequestContext, Principal> = ({ context }, roles) => {
  const principal = principalOf(context);
  const open = roles.includes(PUBLIC_READ);
  if (principal === null) {
    if (open && context.app.config.publicCatalog) return true;
    throw unauthenticated();
  }
  if (roles.length === 0 || open || roles.includes(principal)) return true;
  throw forbidden(`This operation is for ${roles.join(", ")}`);
};
