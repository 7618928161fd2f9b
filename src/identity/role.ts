/** The four ranks of seed 003 (Fig. 6-7): what a user may do depends on this and on their scope. */
export enum Role {
  CENTER_ADMIN = "CENTER_ADMIN",
  SHOP_GROUP_ADMIN = "SHOP_GROUP_ADMIN",
  SHOP_ADMIN = "SHOP_ADMIN",
  GENERAL_USER = "GENERAL_USER",
}

/** Pseudo-role for lab daemons authenticated by a lab API key (never stored on a user). */
export const LAB = "LAB" as const;
/**
 * Marker for `@Authorized(PUBLIC_READ)`: the public catalog. Any person or lab may call it, and
 * anonymous callers too while PUBLIC_CATALOG is on (never a caller's principal).
 */
export const PUBLIC_READ = "PUBLIC_READ" as const;
export type Principal = Role | typeof LAB | typeof PUBLIC_READ;

export const ALL_ROLES: readonly Role[] = [Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN, Role.SHOP_ADMIN, Role.GENERAL_USER];
export const ADMIN_ROLES: readonly Role[] = [Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN, Role.SHOP_ADMIN];
