/**
 * Locking reads. On MySQL/MariaDB a read that decides a write holds its rows until commit
 * (`SELECT ... FOR UPDATE`); SQLite has no such read and needs none, since it runs one writer at a
 * time (see transaction.ts).
 */
import type { DataSource, EntityManager, ObjectLiteral, SelectQueryBuilder } from "typeorm";
import { isSqlite } from "./transaction";

export interface ForUpdate {
  lock?: { mode: "pessimistic_write" };
}

/** Find options that lock the rows read until commit, unless the engine is SQLite: spread them into `findOne`/`find`. */
export function forUpdate(on: EntityManager | DataSource): ForUpdate {
  const ds = "connection" in on ? on.connection : on;
  return isSqlite(ds) ? {} : { lock: { mode: "pessimistic_write" } };
}

/** The same for a query builder: locks its rows until commit unless the engine is SQLite. */
export function lockForUpdate<T extends ObjectLiteral>(qb: SelectQueryBuilder<T>, on: EntityManager | DataSource): SelectQueryBuilder<T> {
  return isSqlite("connection" in on ? on.connection : on) ? qb : qb.setLock("pessimistic_write");
}
