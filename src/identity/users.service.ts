/**
 * Users and their ranks, managed by center admins (seed 003, Fig. 5-7): create, correct, disable,
 * change a role and its scope. A group admin is scoped to one shop group, a shop admin to one shop.
 */
import { randomUUID } from "node:crypto";
import type { EntityManager } from "typeorm";
import { RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import { ShopGroupEntity } from "../catalog/shop-group.entity";
import { ShopEntity } from "../catalog/shop.entity";
import { inTransaction, rejectIf, type Outcome } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./passwords";
import { Role } from "./role";
import { UserEntity } from "./user.entity";
import { nameFault } from "../common/names";

export interface UserFields {
  login?: string;
  name?: string;
  password?: string;
  role?: Role;
  shopGroupId?: string | null;
  shopId?: string | null;
}

export const LOGIN_RE = /^[A-Za-z0-9._@+-]{3,100}$/;

export class UsersService {
  async list(ctx: RequestContext): Promise<UserEntity[]> {
    return ctx.app.ds.getRepository(UserEntity).find({ order: { login: "ASC" } });
  }

  async get(ctx: RequestContext, id: string): Promise<UserEntity | null> {
    return ctx.app.ds.getRepository(UserEntity).findOne({ where: { id } });
  }

  async create(ctx: RequestContext, input: UserFields & { id?: string | null }): Promise<Outcome<UserEntity>> {
    return inTransaction(ctx, async ({ em }) => {
      const errors: UserErrorData[] = [];
      if (input.login === undefined) errors.push(userError("REQUIRED", "login is required", ["input", "login"]));
      if (input.name === undefined) errors.push(userError("REQUIRED", "name is required", ["input", "name"]));
      if (input.password === undefined) errors.push(userError("REQUIRED", "password is required", ["input", "password"]));
      if (input.role === undefined) errors.push(userError("REQUIRED", "role is required", ["input", "role"]));
      if (input.id != null && !/^[A-Za-z0-9._-]{1,64}$/.test(input.id)) {
        errors.push(userError("INVALID_ID", "id must be 1 to 64 letters, digits, '.', '_' or '-'", ["input", "id"]));
      } else if (input.id != null && (await em.findOne(UserEntity, { where: { id: input.id } }))) {
        errors.push(userError("DUPLICATE_ID", `A user with id ${input.id} exists already`, ["input", "id"]));
      }
      errors.push(...(await this.check(em, input, null)));
      rejectIf(errors);
      const now = new Date();
      const user = em.create(UserEntity, {
        id: input.id ?? randomUUID(),
        login: input.login!.trim(),
        name: input.name!.trim(),
        role: input.role!,
        shopGroupId: input.role === Role.SHOP_GROUP_ADMIN ? (input.shopGroupId ?? null) : null,
        shopId: input.role === Role.SHOP_ADMIN ? (input.shopId ?? null) : null,
        passwordHash: await hashPassword(input.password!),
        disabled: false,
        sessionVersion: 0,
        createdAt: now,
        updatedAt: now,
      });
      await em.insert(UserEntity, user);
      return user;
    });
  }

  async update(ctx: RequestContext, id: string, input: UserFields): Promise<Outcome<UserEntity>> {
    return inTransaction(ctx, async ({ em, emit }) => {
      const user = await em.findOne(UserEntity, { where: { id } });
      if (!user) throw new RollbackWithErrors([userError("NOT_FOUND", `No user ${id}`, ["id"])]);
      emit("invalidate", { kind: "users", key: id });
      const errors = await this.check(em, input, user);
      if (ctx.auth.kind === "user" && ctx.auth.user.id === id && input.role !== undefined && input.role !== Role.CENTER_ADMIN) {
        errors.push(userError("CANNOT_DEMOTE_SELF", "A center admin cannot take away their own rank", ["input", "role"]));
      }
      rejectIf(errors);
      const role = input.role ?? user.role;
      const granted = [user.role, user.shopGroupId, user.shopId].join("\n");
      if (input.login !== undefined) user.login = input.login.trim();
      if (input.name !== undefined) user.name = input.name.trim();
      if (input.password !== undefined) user.passwordHash = await hashPassword(input.password);
      user.role = role;
      user.shopGroupId = role === Role.SHOP_GROUP_ADMIN ? (input.shopGroupId !== undefined ? input.shopGroupId : user.shopGroupId) : null;
      user.shopId = role === Role.SHOP_ADMIN ? (input.shopId !== undefined ? input.shopId : user.shopId) : null;
      // A new password, rank or scope ends the sessions opened before it (theirs, and this one if it is).
      if (input.password !== undefined || [user.role, user.shopGroupId, user.shopId].join("\n") !== granted) user.sessionVersion += 1;
      user.updatedAt = new Date();
      await em.save(UserEntity, user);
      return user;
    });
  }

  async setDisabled(ctx: RequestContext, id: string, disabled: boolean): Promise<Outcome<UserEntity>> {
    return inTransaction(ctx, async ({ em, emit }) => {
      const user = await em.findOne(UserEntity, { where: { id } });
      if (!user) throw new RollbackWithErrors([userError("NOT_FOUND", `No user ${id}`, ["id"])]);
      emit("invalidate", { kind: "users", key: id });
      if (disabled && ctx.auth.kind === "user" && ctx.auth.user.id === id) {
        throw new RollbackWithErrors([userError("CANNOT_DISABLE_SELF", "You cannot disable your own account", ["id"])]);
      }
      // Disabling ends every session, so that enabling again does not bring the old ones back.
      if (disabled && !user.disabled) user.sessionVersion += 1;
      user.disabled = disabled;
      user.updatedAt = new Date();
      await em.save(UserEntity, user);
      return user;
    });
  }

  /** Checks the fields given (all of them on create) against each other and the database. */
  private async check(em: EntityManager, input: UserFields, existing: UserEntity | null): Promise<UserErrorData[]> {
    const errors: UserErrorData[] = [];
    if (input.login !== undefined) {
      const login = input.login.trim();
      if (!LOGIN_RE.test(login)) {
        errors.push(userError("INVALID_LOGIN", "login must be 3 to 100 letters, digits or . _ @ + -", ["input", "login"]));
      } else {
        const other = await em.findOne(UserEntity, { where: { login } });
        if (other && other.id !== existing?.id) errors.push(userError("LOGIN_TAKEN", `The login ${login} is taken`, ["input", "login"]));
      }
    }
    if (input.name !== undefined && (input.name.trim() === "" || input.name.length > 200)) {
      errors.push(userError("INVALID_NAME", "name must be 1 to 200 characters", ["input", "name"]));
    } else if (input.name !== undefined && nameFault(input.name) !== null) {
      errors.push(userError("INVALID_NAME", nameFault(input.name)!, ["input", "name"]));
    }
    if (input.password !== undefined && (input.password.length < MIN_PASSWORD_LENGTH || input.password.length > MAX_PASSWORD_LENGTH)) {
      errors.push(userError("WEAK_PASSWORD", `password must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`, ["input", "password"]));
    }
    const role = input.role ?? existing?.role;
    const shopGroupId = input.shopGroupId !== undefined ? input.shopGroupId : (existing?.shopGroupId ?? null);
    const shopId = input.shopId !== undefined ? input.shopId : (existing?.shopId ?? null);
    if (role === Role.SHOP_GROUP_ADMIN) {
      if (!shopGroupId) errors.push(userError("SCOPE_REQUIRED", "A shop-group admin needs a shopGroupId", ["input", "shopGroupId"]));
      else if (!(await em.findOne(ShopGroupEntity, { where: { id: shopGroupId } }))) {
        errors.push(userError("UNKNOWN_SHOP_GROUP", `No shop group ${shopGroupId}`, ["input", "shopGroupId"]));
      }
    }
    if (role === Role.SHOP_ADMIN) {
      if (!shopId) errors.push(userError("SCOPE_REQUIRED", "A shop admin needs a shopId", ["input", "shopId"]));
      else if (!(await em.findOne(ShopEntity, { where: { id: shopId } }))) {
        errors.push(userError("UNKNOWN_SHOP", `No shop ${shopId}`, ["input", "shopId"]));
      }
    }
    return errors;
  }
}
