/**
 * Checks shared by every service that registers catalog entities (shops, templates, labs, design
 * templates...): owner-chosen ids, names, and lists of ids that must exist. Each appends UserErrors
 * with the field at fault, so a service reports every fault before it writes anything.
 */
import { In, type EntityManager, type EntityTarget, type ObjectLiteral } from "typeorm";
import { userError, type UserErrorData } from "./errors";
import { nameFault } from "./names";

export type Field = Array<string | number>;

export const CATALOG_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
export const MAX_NAME_LENGTH = 200;

export function duplicateId(what: string, id: string, field: Field): UserErrorData {
  return userError("DUPLICATE_ID", `A ${what} with id ${id} exists already (ids are compared ignoring letter case)`, field);
}

/** The trimmed name, or undefined (and an INVALID_NAME fault) when it is empty, too long or not a human name (see nameFault). */
export function checkName(name: string, field: Field, errors: UserErrorData[], what = "name"): string | undefined {
  const trimmed = name.trim();
  if (trimmed === "" || trimmed.length > MAX_NAME_LENGTH) {
    errors.push(userError("INVALID_NAME", `${what} must be 1 to ${MAX_NAME_LENGTH} characters, got ${trimmed.length}`, field));
    return undefined;
  }
  const fault = nameFault(trimmed, what);
  if (fault !== null) {
    errors.push(userError("INVALID_NAME", fault, field));
    return undefined;
  }
  return trimmed;
}

/**
 * A new owner-chosen id: well formed, and not taken ignoring letter case (MariaDB compares ids that
 * way, so "lab01" and "LAB01" cannot both exist there; SQLite is held to the same rule).
 */
export async function checkNewId<E extends ObjectLiteral>(
  em: EntityManager,
  entity: EntityTarget<E>,
  what: string,
  id: string,
  field: Field,
  errors: UserErrorData[],
  key = "id",
): Promise<void> {
  if (!CATALOG_ID_RE.test(id)) {
    errors.push(userError("INVALID_ID", `The ${what} id must be 1 to 64 letters, digits, '.', '_' or '-'`, field));
    return;
  }
  const other = await em.createQueryBuilder(entity, "e").where(`LOWER(e.${key}) = :id`, { id: id.toLowerCase() }).getOne();
  if (other) errors.push(duplicateId(what, String((other as Record<string, unknown>)[key]), field));
}

/**
 * A list of ids of existing entities (a template's products, a lab's services): not empty, not too
 * long, each once, each existing (named exactly). Codes are derived from the noun: NO_<NOUN>S,
 * TOO_MANY_<NOUN>S, DUPLICATE_<NOUN>, UNKNOWN_<NOUN>.
 */
export async function checkIdList<E extends ObjectLiteral & { id: string }>(
  em: EntityManager,
  entity: EntityTarget<E>,
  ids: string[],
  field: Field,
  errors: UserErrorData[],
  rule: { noun: string; owner: string; emptyMessage: string; max: number },
): Promise<void> {
  const NOUN = rule.noun.toUpperCase();
  const Noun = rule.noun[0].toUpperCase() + rule.noun.slice(1);
  if (ids.length === 0) {
    errors.push(userError(`NO_${NOUN}S`, rule.emptyMessage, field));
    return;
  }
  if (ids.length > rule.max) {
    errors.push(userError(`TOO_MANY_${NOUN}S`, `${rule.owner} lists at most ${rule.max} ${rule.noun}s, got ${ids.length}`, field));
    return;
  }
  const found = await em.find(entity, { where: { id: In([...new Set(ids)]) } as never, select: { id: true } as never });
  const known = new Set(found.map((e) => e.id));
  const seen = new Set<string>();
  ids.forEach((id, i) => {
    if (seen.has(id)) errors.push(userError(`DUPLICATE_${NOUN}`, `${Noun} ${id} is listed twice`, [...field, i]));
    else if (!known.has(id)) errors.push(userError(`UNKNOWN_${NOUN}`, `No ${rule.noun} ${id}`, [...field, i]));
    seen.add(id);
  });
}

/** A point on Earth: latitude -90..90, longitude -180..180 (INVALID_LOCATION naming lat or lng). */
export function checkLocation(location: { lat: number; lng: number } | null | undefined, field: Field, errors: UserErrorData[]): void {
  if (location == null) return;
  for (const [k, limit] of [
    ["lat", 90],
    ["lng", 180],
  ] as const) {
    const v = location[k];
    if (!Number.isFinite(v) || v < -limit || v > limit) {
      errors.push(userError("INVALID_LOCATION", `${k} must be from ${-limit} to ${limit}, got ${v}`, [...field, k]));
    }
  }
}
