/**
 * The one auth checker behind every `@Authorized(...)`: not logged in -> UNAUTHENTICATED, logged in
 * without one of the listed roles -> FORBIDDEN. `@Authorized()` with no role admits any person or
 * lab. Scope rules ("this shop admin, this shop") live in the services, next to the data.
 */
import type { AuthChecker } from "type-graphql";
import { forbidden, unauthenticated } from "../common/errors";
import { LAB, type Principal } from "../identity/role";
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
  if (principal === null) throw unauthenticated();
  if (roles.length === 0 || roles.includes(principal)) return true;
  throw forbidden(`This operation is for ${roles.join(", ")}`);
};
