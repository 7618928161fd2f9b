/**
 * The first center admin of a new center, made from the command line (`admin:create`): a production
 * database starts empty, and nobody can log in to create anyone until one admin exists. The same
 * command adds a further center admin later. Everything is checked before the one write.
 */
import { randomUUID } from "node:crypto";
import type { DataSource } from "typeorm";
import { userError, RollbackWithErrors, type UserErrorData } from "../common/errors";
import { isUniqueViolation } from "../db/driver-errors";
import { withTransaction } from "../db/transaction";
import { hashPassword, MAX_PASSWORD_LENGTH } from "./passwords";
import { STRONG_PASSWORD_RULE, weakPasswordReason } from "./password-policy";
import { Role } from "./role";
import { UserEntity } from "./user.entity";
import { LOGIN_RE } from "./users.service";

export interface NewAdmin {
  login: string;
  name: string;
  password: string;
}

export type NewAdminOutcome = { user: UserEntity; errors: [] } | { user: null; errors: UserErrorData[] };

/** The checks that need no database: the login's form, the name, the password's strength. */
export function checkNewAdmin(input: NewAdmin): UserErrorData[] {
  const login = input.login.trim();
  const name = input.name.trim();
  const errors: UserErrorData[] = [];
  if (!LOGIN_RE.test(login)) errors.push(userError("INVALID_LOGIN", "login must be 3 to 100 letters, digits or . _ @ + -", ["login"]));
  if (name.length === 0 || name.length > 200) errors.push(userError("INVALID_NAME", "name must be 1 to 200 characters", ["name"]));
  const weak = input.password.length > MAX_PASSWORD_LENGTH ? `it is longer than ${MAX_PASSWORD_LENGTH} characters` : weakPasswordReason(input.password, login);
  if (weak) errors.push(userError("WEAK_PASSWORD", `the password is too weak: ${weak}. A password must be ${STRONG_PASSWORD_RULE}`, ["password"]));
  return errors;
}

export async function createCenterAdmin(ds: DataSource, input: NewAdmin): Promise<NewAdminOutcome> {
  const errors = checkNewAdmin(input);
  if (errors.length > 0) return { user: null, errors };
  const login = input.login.trim();
  const name = input.name.trim();
  // Hashed before the transaction: argon2 takes a while and needs no lock.
  const passwordHash = await hashPassword(input.password);
  try {
    const user = await withTransaction(ds, async (em) => {
      if (await em.findOne(UserEntity, { where: { login } })) {
        throw new RollbackWithErrors([userError("LOGIN_TAKEN", `the login ${login} is taken; choose another`, ["login"])]);
      }
      const now = new Date();
      const row = em.create(UserEntity, {
        id: randomUUID(),
        login,
        name,
        role: Role.CENTER_ADMIN,
        shopGroupId: null,
        shopId: null,
        homeShopId: null,
        homeLabId: null,
        passwordHash,
        disabled: false,
        createdAt: now,
        updatedAt: now,
      });
      await em.insert(UserEntity, row);
      return row;
    });
    return { user, errors: [] };
  } catch (e) {
    if (e instanceof RollbackWithErrors) return { user: null, errors: e.errors };
    // Two commands racing for one login: the unique index decides.
    if (isUniqueViolation(e)) {
      return { user: null, errors: [userError("LOGIN_TAKEN", `the login ${login} is taken; choose another`, ["login"])] };
    }
    throw e;
  }
}
