/**
 * Steps shared by every service that writes the catalog (shops and groups, services, products,
 * templates, charged images, labs, design templates): reading a row by its exact id, the "still
 * used by" report, and inserts and deletes whose constraint failures (a racing twin, a reference
 * deleted meanwhile) become payload errors. The checks before a write read a snapshot; the
 * constraint is the truth.
 */
import type { EntityManager, EntityTarget, FindOptionsWhere, ObjectLiteral } from "typeorm";
import { constraintKind, type ConstraintKind } from "../db/driver-errors";
import { forUpdate } from "../db/locks";
import { RollbackWithErrors, userError, type UserErrorData } from "./errors";

/** How many users of an entity an IN_USE message names before it says "+N more". */
const MAX_NAMED_USES = 10;

export interface GeoPointData {
  lat: number;
  lng: number;
}

/**
 * The row whose key is exactly this value. MariaDB compares ids ignoring letter case, SQLite does
 * not: a reference must name an id exactly on both. `lock` holds the row until commit on MariaDB
 * (SQLite runs one writer at a time anyway).
 */
export async function exact<T extends ObjectLiteral>(em: EntityManager, entity: EntityTarget<T>, key: string, value: string, lock = false): Promise<T | null> {
  const row = await em.findOne(entity, { where: { [key]: value } as FindOptionsWhere<T>, ...(lock ? forUpdate(em) : {}) });
  return row !== null && (row as Record<string, unknown>)[key] === value ? row : null;
}

/** The values of one column of the rows that match, sorted: who still uses an entity. */
export async function ids<T extends ObjectLiteral>(
  em: EntityManager,
  entity: EntityTarget<T>,
  where: FindOptionsWhere<T>,
  key: keyof T & string,
): Promise<string[]> {
  const rows = await em.find(entity, { where, select: { [key]: true } as never, order: { [key]: "ASC" } as never });
  return rows.map((r) => String(r[key]));
}

/** "Shop group SG01 is still used by shops SP01, SP02 and templates T01, T02", or null when unused. */
export function usesMessage(subject: string, uses: Array<[string, string[]]>): string | null {
  const parts = uses
    .filter(([, list]) => list.length > 0)
    .map(
      ([label, list]) =>
        `${label} ${list.slice(0, MAX_NAMED_USES).join(", ")}${list.length > MAX_NAMED_USES ? ` (+${list.length - MAX_NAMED_USES} more)` : ""}`,
    );
  if (parts.length === 0) return null;
  const listed = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
  return `${subject} is still used by ${listed}`;
}

/** Inserts, turning a constraint that a racing transaction won (a twin id, a reference deleted meanwhile) into payload errors. */
export async function insertOrReject<T extends ObjectLiteral>(
  em: EntityManager,
  entity: EntityTarget<T>,
  rows: T | T[],
  faults: (kind: ConstraintKind, e: unknown) => UserErrorData[],
): Promise<void> {
  if (Array.isArray(rows) && rows.length === 0) return;
  try {
    await em.insert(entity, rows as never);
  } catch (e) {
    const kind = constraintKind(e);
    if (kind === null) throw e;
    throw new RollbackWithErrors(faults(kind, e));
  }
}

/** Deletes; a row that something started to use meanwhile fails its foreign key and is reported IN_USE. */
export async function deleteOrReject<T extends ObjectLiteral>(
  em: EntityManager,
  entity: EntityTarget<T>,
  where: FindOptionsWhere<T>,
  subject: string,
): Promise<void> {
  try {
    await em.delete(entity, where);
  } catch (e) {
    if (constraintKind(e) !== "foreign") throw e;
    throw new RollbackWithErrors([userError("IN_USE", `${subject} is still in use`, ["id"])]);
  }
}

/** An optional text: blank is none, else trimmed. */
export function blankToNull(s: string | null | undefined): string | null {
  return s == null || s.trim() === "" ? null : s.trim();
}

export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
