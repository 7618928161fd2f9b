/**
 * One pagination style for every list that grows (Relay connections): `first` bounded, `after` an
 * opaque cursor naming the last row seen. Histories (`keysetPage`) go newest first, ordered by an
 * instant with the id as tie-breaker, a page read in one statement (one row more than asked tells
 * whether another page follows); lists that their plain field reads whole (`listPage`) go by key.
 */
import { Brackets, type ObjectLiteral, type SelectQueryBuilder } from "typeorm";
import { badInput } from "../common/errors";

/** The most rows one page may ask for. */
export const MAX_FIRST = 100;

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** The cursor of a row: its instant and id, opaque to clients (base64url). */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.getTime()}:${id}`).toString("base64url");
}

/** The instant and id a cursor names; null when this server did not make it. */
export function decodeCursor(cursor: string): { t: number; id: string } | null {
  const m = /^(\d{1,16}):([A-Za-z0-9._/-]{1,200})$/.exec(Buffer.from(cursor, "base64url").toString());
  return m ? { t: Number(m[1]), id: m[2] } : null;
}

/**
 * A page of `qb` (already filtered to what the caller may see), newest first by `atColumn` then
 * `idColumn` (SQL names with the query's alias), after the cursor `after`; `first` must be 1 to
 * MAX_FIRST (else BAD_USER_INPUT on `first`), a cursor this server did not make BAD_USER_INPUT on
 * `after`. `keyOf` gives a row's instant and id, `view` its node.
 */
export async function keysetPage<E extends ObjectLiteral, T>(
  qb: SelectQueryBuilder<E>,
  columns: { at: string; id: string },
  args: { first: number; after: string | null },
  keyOf: (row: E) => { at: Date; id: string },
  view: (row: E) => T,
): Promise<Connection<T>> {
  checkFirst(args.first);
  if (args.after !== null) {
    const c = decodeCursor(args.after);
    if (!c) throw badInput("The cursor is not one this server made", ["after"]);
    qb.andWhere(
      new Brackets((w) =>
        w.where(`${columns.at} < :pageT`, { pageT: c.t }).orWhere(`${columns.at} = :pageT AND ${columns.id} < :pageId`, { pageT: c.t, pageId: c.id }),
      ),
    );
  }
  const rows = await qb
    .orderBy(columns.at, "DESC")
    .addOrderBy(columns.id, "DESC")
    .take(args.first + 1)
    .getMany();
  const edges = rows.slice(0, args.first).map((r) => {
    const k = keyOf(r);
    return { cursor: encodeCursor(k.at, k.id), node: view(r) };
  });
  return connectionOf(edges, rows.length > args.first);
}

/** BAD_USER_INPUT on `first` unless it is 1 to MAX_FIRST. */
function checkFirst(first: number): void {
  if (!Number.isInteger(first) || first < 1 || first > MAX_FIRST) throw badInput(`first must be 1 to ${MAX_FIRST}`, ["first"]);
}

function connectionOf<T>(edges: Edge<T>[], hasNextPage: boolean): Connection<T> {
  return { edges, pageInfo: { hasNextPage, endCursor: edges.length > 0 ? edges[edges.length - 1].cursor : null } };
}

/** The cursor of a row of a list ordered by a key alone (an id): opaque to clients (base64url). */
export function encodeKeyCursor(key: string): string {
  return Buffer.from(`k:${key}`).toString("base64url");
}

/** The key a key cursor names; null when this server did not make it. */
export function decodeKeyCursor(cursor: string): string | null {
  const m = /^k:(.{1,400})$/.exec(Buffer.from(cursor, "base64url").toString());
  return m ? m[1] : null;
}

/**
 * A page of a list that the plain list field already read, filtered to what the caller may see, so
 * that a connection and its plain list can never disagree on scope: ordered by `keyOf` (a unique
 * key, compared by code unit, so the order is the same on every engine), after the row `after`
 * names. For lists read whole and held small by their own bounds (catalog, keys, price rows); a
 * list without such a bound pages in SQL with `keysetPage`. `first` and `after` are checked as
 * `keysetPage` checks them.
 */
export function listPage<R, T = R>(
  rows: readonly R[],
  args: { first: number; after: string | null },
  keyOf: (row: R) => string,
  view: (row: R) => T = (r) => r as unknown as T,
): Connection<T> {
  checkFirst(args.first);
  let after: string | null = null;
  if (args.after !== null) {
    after = decodeKeyCursor(args.after);
    if (after === null) throw badInput("The cursor is not one this server made", ["after"]);
  }
  const sorted = rows
    .map((row) => ({ row, key: keyOf(row) }))
    .filter((r) => after === null || r.key > after)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const edges = sorted.slice(0, args.first).map((r) => ({ cursor: encodeKeyCursor(r.key), node: view(r.row) }));
  return connectionOf(edges, sorted.length > args.first);
}
