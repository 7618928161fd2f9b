/**
 * The users of a bundle: their shape (a password or its argon2 hash, a role and the scope it
 * needs), their references to a shop group or shop, and logins unique ignoring letter case.
 */
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../identity/passwords";
import { Role } from "../identity/role";
import {
  absent,
  checkFields,
  isPhcArgon2Hash,
  optionalBool,
  optionalId,
  readList,
  requiredId,
  requiredName,
  show,
  typeName,
  type Entry,
  type Faults,
  type Obj,
} from "./bundle-fields";
import { lower, type RefCheck } from "./bundle-ids";
import type { BundleUser, KnownState } from "./bundle-types";

/** Same rule as the users service, so that an imported login can also be typed at the login form. */
const LOGIN_RE = /^[A-Za-z0-9._@+-]{3,100}$/;

export function readUsers(json: Obj, f: Faults): Array<Entry<BundleUser>> {
  return readList<BundleUser>(json, "users", f, (o, p) => {
    checkFields(o, p, ["id", "login", "password", "passwordHash", "name", "role", "shopGroupId", "shopId", "disabled"], f);
    const u: Partial<BundleUser> = {
      id: requiredId(o, "id", p, f),
      name: requiredName(o, "name", p, f, 200),
    };
    const login = o.login;
    if (absent(login)) f.add(`${p}.login`, "REQUIRED", "login is required");
    else if (typeof login !== "string" || !LOGIN_RE.test(login)) {
      f.add(`${p}.login`, "INVALID_LOGIN", `login must be 3 to 100 letters, digits or . _ @ + -, got ${show(login)}`);
    } else u.login = login;

    // Never echo a password or hash back: the messages give lengths and rules only.
    const pw = o.password;
    const hash = o.passwordHash;
    if (!absent(pw) && !absent(hash)) {
      f.add(`${p}.passwordHash`, "CONFLICTING_FIELDS", "give password or passwordHash, not both");
    } else if (!absent(pw)) {
      if (typeof pw !== "string") f.add(`${p}.password`, "INVALID_TYPE", `password must be a string, got ${typeName(pw)}`);
      else if (pw.length < MIN_PASSWORD_LENGTH)
        f.add(`${p}.password`, "PASSWORD_TOO_SHORT", `password must be at least ${MIN_PASSWORD_LENGTH} characters, got ${pw.length}`);
      else if (pw.length > MAX_PASSWORD_LENGTH)
        f.add(`${p}.password`, "PASSWORD_TOO_LONG", `password must be at most ${MAX_PASSWORD_LENGTH} characters, got ${pw.length}`);
      else u.password = pw;
    } else if (!absent(hash)) {
      if (!isPhcArgon2Hash(hash)) f.add(`${p}.passwordHash`, "INVALID_HASH", "passwordHash must be an argon2 PHC string ($argon2id$v=19$m=...)");
      else u.passwordHash = hash;
    } else {
      f.add(`${p}.password`, "REQUIRED", "password (or passwordHash) is required");
    }

    const role = o.role;
    if (absent(role)) f.add(`${p}.role`, "REQUIRED", "role is required");
    else if (typeof role !== "string" || !(Object.values(Role) as string[]).includes(role)) {
      f.add(`${p}.role`, "INVALID_ROLE", `role must be one of ${Object.values(Role).join(", ")}, got ${show(role)}`);
    } else u.role = role as Role;
    u.shopGroupId = optionalId(o, "shopGroupId", p, f);
    u.shopId = optionalId(o, "shopId", p, f);
    u.disabled = optionalBool(o, "disabled", p, f);
    if (u.role !== undefined) {
      const wantsGroup = u.role === Role.SHOP_GROUP_ADMIN;
      const wantsShop = u.role === Role.SHOP_ADMIN;
      if (wantsGroup && absent(o.shopGroupId)) f.add(`${p}.shopGroupId`, "INVALID_SCOPE", "a SHOP_GROUP_ADMIN needs shopGroupId");
      if (!wantsGroup && !absent(o.shopGroupId)) f.add(`${p}.shopGroupId`, "INVALID_SCOPE", `a ${u.role} has no shopGroupId`);
      if (wantsShop && absent(o.shopId)) f.add(`${p}.shopId`, "INVALID_SCOPE", "a SHOP_ADMIN needs shopId");
      if (!wantsShop && !absent(o.shopId)) f.add(`${p}.shopId`, "INVALID_SCOPE", `a ${u.role} has no shopId`);
    }
    return u;
  });
}

export function checkUserReferences(users: Array<Entry<BundleUser>>, ref: RefCheck): void {
  for (const { value: u, path } of users) {
    ref(`${path}.shopGroupId`, "shopGroups", u.shopGroupId);
    ref(`${path}.shopId`, "shops", u.shopId);
  }
}

/**
 * Logins: unique ignoring case (MariaDB's collation does), across the bundle and the database
 * users the bundle does not rewrite (`userIds`: the bundle's user ids).
 */
export function checkLogins(users: Array<Entry<BundleUser>>, userIds: ReadonlySet<string>, known: KnownState, f: Faults): void {
  const logins = new Map<string, string>();
  for (const [id, login] of known.users ?? []) if (!userIds.has(id)) logins.set(lower(login), `user ${id} in the database`);
  for (const { value: u, path } of users) {
    if (u.login === undefined) continue;
    const holder = logins.get(lower(u.login));
    if (holder !== undefined) f.add(`${path}.login`, "DUPLICATE_LOGIN", `login ${u.login} is taken by ${holder}`);
    else logins.set(lower(u.login), path);
  }
}
