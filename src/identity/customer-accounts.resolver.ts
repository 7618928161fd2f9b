import { Arg, Authorized, Ctx, Mutation, Resolver } from "type-graphql";
import type { RequestContext } from "../core/request-context";
import { LoginPayload, LogoutPayload } from "./identity.types";
import { ALL_ROLES } from "./role";
import { CustomerAccountsService, PASSWORD_RULE } from "./customer-accounts.service";

@Resolver()
export class CustomerAccountsResolver {
  constructor(private readonly accounts: CustomerAccountsService) {}

  @Mutation(() => LoginPayload, {
    description:
      "A customer signs up (role GENERAL_USER) and is logged in. Refused with SIGNUP_CLOSED when the center does not allow it. " +
      "Other codes: RATE_LIMITED (too many sign-ups from this address), LOGIN_TAKEN, INVALID_LOGIN, INVALID_NAME, WEAK_PASSWORD.",
  })
  registerCustomer(
    @Ctx() ctx: RequestContext,
    @Arg("login", () => String, { description: "3 to 100 letters, digits or . _ @ + -; unique." }) login: string,
    @Arg("password", () => String, { description: `The password: ${PASSWORD_RULE}.` }) password: string,
    @Arg("name", () => String, { description: "The customer's name: 1 to 200 characters, no control characters." }) name: string,
  ): Promise<LoginPayload> {
    return this.accounts.register(ctx, login, password, name);
  }

  @Authorized(...ALL_ROLES)
  @Mutation(() => LoginPayload, {
    description:
      "The caller's new password; every other session of theirs ends. The payload carries a fresh token. " +
      "Codes: INVALID_CREDENTIALS or RATE_LIMITED (the current password, counted as a login), WEAK_PASSWORD, SAME_PASSWORD.",
  })
  changePassword(
    @Ctx() ctx: RequestContext,
    @Arg("currentPassword", () => String, { description: "The password the caller has now." }) currentPassword: string,
    @Arg("newPassword", () => String, { description: `The new password: ${PASSWORD_RULE}.` }) newPassword: string,
  ): Promise<LoginPayload> {
    return this.accounts.changePassword(ctx, currentPassword, newPassword);
  }

  @Authorized(...ALL_ROLES)
  @Mutation(() => LogoutPayload, {
    description:
      "Signs the caller out: this token stops working at once (UNAUTHENTICATED), and so does every other session of theirs, " +
      "open WebSockets included (closed with 4403).",
  })
  logout(@Ctx() ctx: RequestContext): Promise<LogoutPayload> {
    return this.accounts.logout(ctx);
  }
}
