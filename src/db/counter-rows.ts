/**
 * Counter rows: small tables of (key, version) whose rows a transaction increments to say "I am
 * writing this" (a lock held until commit) or "this changed" (a version others read). One UPDATE
 * increments every key given; InnoDB locks the rows in primary-key order, so two transactions
 * incrementing overlapping sets never deadlock on them. A key whose row is missing (a database
 * whose migration seeded fewer keys) is created and then incremented.
 */
import type { EntityManager } from "typeorm";
import { isSqlite, placeholders, runSql } from "./transaction";

export async function incrementCounterRows(em: EntityManager, table: string, keyColumn: string, keys: ReadonlyArray<string | number>): Promise<void> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return;
  const update = `UPDATE ${table} SET version = version + 1 WHERE ${keyColumn} IN (${placeholders(unique.length)})`;
  const { affected } = await runSql(em, update, unique);
  if (affected === unique.length) return;
  const ignore = isSqlite(em.connection) ? "INSERT OR IGNORE" : "INSERT IGNORE";
  const values = unique.map(() => "(?, 0)").join(", ");
  await runSql(em, `${ignore} INTO ${table} (${keyColumn}, version) VALUES ${values}`, unique);
  await runSql(em, update, unique);
}
