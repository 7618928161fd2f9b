/**
 * One pagination style for every list that grows (Relay connections): newest first, ordered by an
 * instant with the id as tie-breaker, `first` bounded, `after` an opaque cursor naming the last row
 * seen. A page is read in one statement (one row more than asked tells whether another page follows).
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
  if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_FIRST) throw badInput(`first must be 1 to ${MAX_FIRST}`, ["first"]);
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
  return { edges, pageInfo: { hasNextPage: rows.length > args.first, endCursor: edges.length > 0 ? edges[edges.length - 1].cursor : null } };
}
