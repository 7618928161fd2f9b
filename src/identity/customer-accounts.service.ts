/**
 * A person's own account: customers signing up (CUSTOMER_SIGNUP, limited per address), anyone
 * changing their password (the current one checked against the login limits) and signing out.
 * Sessions end by moving the user's session version on (see UserEntity): every token issued under
 * an earlier version is refused at once, over HTTP and on open sockets (the `users` invalidation).
 */
import { randomUUID } from "node:crypto";
import { userError, RollbackWithErrors, type UserErrorData } from "../common/errors";
import type { AttemptCounter, RateLimits } from "../common/rate-limits";
import type { AppContext, RequestContext } from "../core/request-context";
import { inTransaction, rejectIf } from "../core/unit-of-work";
import { isUniqueViolation } from "../db/driver-errors";
import { nameFault } from "../common/names";
import type { IdentityService } from "./identity.service";
import { STRONG_PASSWORD_RULE, weakPasswordReason } from "./password-policy";
import { hashPassword, MAX_PASSWORD_LENGTH } from "./passwords";
import { Role } from "./role";
import { UserEntity } from "./user.entity";
import { LOGIN_RE } from "./users.service";

/** A session: the token and the user it was issued to, or why none was. */
export type SessionOutcome = { token: string; user: UserEntity; errors: [] } | { token: null; user: null; errors: UserErrorData[] };

const refused = (errors: UserErrorData[]): SessionOutcome => ({ token: null, user: null, errors });

/** The password rule customers' and changed passwords follow, as stated to callers. */
export const PASSWORD_RULE = `${STRONG_PASSWORD_RULE}; at most ${MAX_PASSWORD_LENGTH} characters`;

export class CustomerAccountsService {
  /** Sign-ups per address (SIGNUP_RATE_LIMIT), counted before anything is checked or hashed. */
  private readonly signups: AttemptCounter;

  constructor(
    app: AppContext,
    limits: RateLimits,
    private readonly identity: IdentityService,
  ) {
    this.signups = limits.counter("signup", { points: app.config.signupRateLimit.attempts, windowSeconds: app.config.signupRateLimit.windowSeconds });
  }

  /**
   * A new customer (GENERAL_USER), logged in. Every fault is reported at once with its field; of
   * two sign-ups of one login at the same moment the unique index lets exactly one in, the other
   * is answered LOGIN_TAKEN.
   */
  async register(ctx: RequestContext, login: string, password: string, name: string): Promise<SessionOutcome> {
    if (!ctx.app.config.customerSignup) return refused([userError("SIGNUP_CLOSED", "This center does not take sign-ups")]);
    const taken = await this.signups.take(ctx.ip);
    if (!taken.ok) return refused([userError("RATE_LIMITED", `Too many sign-ups from this address; try again in ${taken.retryAfterSeconds} s`)]);
    const trimmedLogin = login.trim();
    const trimmedName = name.trim();
    const errors: UserErrorData[] = [];
    if (!LOGIN_RE.test(trimmedLogin)) errors.push(userError("INVALID_LOGIN", "login must be 3 to 100 letters, digits or . _ @ + -", ["login"]));
    const nameWhy = trimmedName === "" || name.length > 200 ? "name must be 1 to 200 characters" : nameFault(name);
    if (nameWhy !== null) errors.push(userError("INVALID_NAME", nameWhy, ["name"]));
    errors.push(...passwordFaults(password, trimmedLogin, ["password"]));
    if (errors.length > 0) return refused(errors);
    try {
      const r = await inTransaction(ctx, async ({ em }) => {
        if (await em.findOne(UserEntity, { where: { login: trimmedLogin }, select: { id: true } })) {
          throw new RollbackWithErrors([loginTaken(trimmedLogin)]);
        }
        const now = new Date();
        const user = em.create(UserEntity, {
          id: randomUUID(),
          login: trimmedLogin,
          name: trimmedName,
          role: Role.GENERAL_USER,
          shopGroupId: null,
          shopId: null,
          passwordHash: await hashPassword(password),
          disabled: false,
          sessionVersion: 0,
          createdAt: now,
          updatedAt: now,
        });
        await em.insert(UserEntity, user);
        return user;
      });
      if (r.errors.length > 0) return refused(r.errors);
      return { token: await this.identity.issue(r.value!), user: r.value!, errors: [] };
    } catch (e) {
      // The other sign-up of this login committed between the check and the insert.
      if (isUniqueViolation(e)) return refused([loginTaken(trimmedLogin)]);
      throw e;
    }
  }

  /**
   * The caller's new password, once the current one is proven (counted as a login attempt): every
   * session of theirs ends, and the answer carries a fresh token for this one.
   */
  async changePassword(ctx: RequestContext, currentPassword: string, newPassword: string): Promise<SessionOutcome> {
    const caller = callerOf(ctx);
    const proven = await this.identity.checkPassword(ctx, caller.login, currentPassword, ["currentPassword"]);
    if (Array.isArray(proven)) return refused(proven);
    const faults = passwordFaults(newPassword, caller.login, ["newPassword"]);
    if (newPassword === currentPassword) faults.push(userError("SAME_PASSWORD", "The new password must differ from the current one", ["newPassword"]));
    if (faults.length > 0) return refused(faults);
    const passwordHash = await hashPassword(newPassword);
    const r = await this.endSessions(ctx, proven, { passwordHash });
    if (r.errors.length > 0) return refused(r.errors);
    return { token: await this.identity.issue(r.value!), user: r.value!, errors: [] };
  }

  /** Signs the caller out: their session version moves on, so this token (and every other of theirs) stops working. */
  async logout(ctx: RequestContext): Promise<{ signedOut: boolean; errors: UserErrorData[] }> {
    const caller = callerOf(ctx);
    const r = await this.endSessions(ctx, caller, {});
    return { signedOut: r.errors.length === 0, errors: r.errors };
  }

  /**
   * Moves the user's session version on (with `changes`), conditional on the version read: a
   * session ended meanwhile (another change, a disable) is not resurrected by this one.
   */
  private endSessions(ctx: RequestContext, user: UserEntity, changes: Partial<UserEntity>) {
    return inTransaction(ctx, async ({ em, emit }) => {
      const now = new Date();
      const next = user.sessionVersion + 1;
      const res = await em.update(
        UserEntity,
        { id: user.id, sessionVersion: user.sessionVersion, disabled: false },
        { ...changes, sessionVersion: next, updatedAt: now },
      );
      rejectIf(res.affected === 1 ? [] : [userError("SESSION_ENDED", "Your session ended meanwhile; log in again")]);
      emit("invalidate", { kind: "users", key: user.id });
      return Object.assign(new UserEntity(), user, changes, { sessionVersion: next, updatedAt: now });
    });
  }
}

function callerOf(ctx: RequestContext): UserEntity {
  // @Authorized lets only people in; a lab here is a wiring mistake.
  if (ctx.auth.kind !== "user") throw new Error("an account operation without a signed-in person");
  return ctx.auth.user;
}

function loginTaken(login: string): UserErrorData {
  return userError("LOGIN_TAKEN", `The login ${login} is taken`, ["login"]);
}

/** WEAK_PASSWORD with the rule and what this password breaks, never repeating it. */
function passwordFaults(password: string, login: string, field: string[]): UserErrorData[] {
  const why = password.length > MAX_PASSWORD_LENGTH ? `it is longer than ${MAX_PASSWORD_LENGTH} characters` : weakPasswordReason(password, login);
  return why === null ? [] : [userError("WEAK_PASSWORD", `The password must have ${PASSWORD_RULE}: ${why}`, field)];
}
