/**
 * Ids across the kinds of a bundle: each kind's ids unique ignoring letter case (MariaDB compares
 * them so), in the bundle and against the database; and references from one kind to another, which
 * must name an id of the bundle or of the database, exactly. Pure.
 */
import type { Entry, Faults } from "./bundle-fields";
import type { KnownState } from "./bundle-types";

export const lower = (s: string): string => s.toLowerCase();

/** Reports ids used twice in `entries` or differing only in case from one of `existing`; returns the bundle's ids. */
export function uniqueIds<T>(
  entries: Array<Entry<T>>,
  idOf: (v: Partial<T>) => string | undefined,
  field: string,
  existing: Iterable<string>,
  f: Faults,
): Set<string> {
  const ids = new Set<string>();
  const firstPath = new Map<string, string>();
  const existingByLower = new Map<string, string>();
  for (const id of existing) existingByLower.set(lower(id), id);
  for (const e of entries) {
    const id = idOf(e.value);
    if (id === undefined) continue;
    const seen = firstPath.get(lower(id));
    if (seen !== undefined) {
      f.add(`${e.path}.${field}`, "DUPLICATE_ID", `${field} ${id} is used by ${seen} too`);
      continue;
    }
    const clash = existingByLower.get(lower(id));
    if (clash !== undefined && clash !== id) {
      f.add(`${e.path}.${field}`, "DUPLICATE_ID", `${field} ${id} differs only in letter case from ${clash}, which the database holds`);
    }
    firstPath.set(lower(id), e.path);
    ids.add(id);
  }
  return ids;
}

/** The ids a bundle holds, per kind. */
export interface BundleIds {
  shopGroups: ReadonlySet<string>;
  shops: ReadonlySet<string>;
  users: ReadonlySet<string>;
  services: ReadonlySet<string>;
  products: ReadonlySet<string>;
  templates: ReadonlySet<string>;
  labs: ReadonlySet<string>;
}

export type RefKind = "shopGroups" | "shops" | "users" | "services" | "products";

/** Records UNKNOWN_REFERENCE at `path` unless `id` (when given) is one of the bundle or of the database. */
export type RefCheck = (path: string, kind: RefKind, id: string | null | undefined) => void;

export function referenceChecker(ids: BundleIds, known: KnownState, f: Faults): RefCheck {
  const knownOf: Record<RefKind, { has(id: string): boolean } | undefined> = {
    shopGroups: known.shopGroupIds,
    shops: known.shopIds,
    users: known.users,
    services: known.serviceIds,
    products: known.productIds,
  };
  const what: Record<RefKind, string> = { shopGroups: "shop group", shops: "shop", users: "user", services: "service", products: "product" };
  return (path, kind, id) => {
    if (id === null || id === undefined) return;
    if (ids[kind].has(id) || knownOf[kind]?.has(id)) return;
    f.add(path, "UNKNOWN_REFERENCE", `${what[kind]} ${id} is neither in the bundle nor in the database`);
  };
}
