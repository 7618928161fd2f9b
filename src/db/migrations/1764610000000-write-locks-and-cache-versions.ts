import type { MigrationInterface, QueryRunner } from "typeorm";
import { big, int, str, table } from "./table-helpers";

/** Must match PRICE_LOCK_SLOTS (src/pricing/price-lock.ts) and VERSIONED_CACHE_KINDS (src/db/cache-versions.ts) as of this migration. */
const SLOTS = 1024;
const KINDS = ["catalog", "lab-keys", "prices", "users"];

/**
 * The lock rows that serialise price writes per scope and product, and the cache versions every
 * center process reads to follow other writers' changes. Both are seeded: a lock never inserts.
 */
export class WriteLocksAndCacheVersions1764610000000 implements MigrationInterface {
  name = "WriteLocksAndCacheVersions1764610000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      table("price_write_locks", [
        { ...int("slot"), isPrimary: true },
        { ...big("version"), default: 0 },
      ]),
    );
    await q.createTable(
      table("cache_versions", [
        { ...str("kind", 32), isPrimary: true },
        { ...big("version"), default: 0 },
      ]),
    );
    for (let from = 0; from < SLOTS; from += 256) {
      const slots = Array.from({ length: Math.min(256, SLOTS - from) }, (_, i) => from + i);
      await q.query(`INSERT INTO price_write_locks (slot, version) VALUES ${slots.map(() => "(?, 0)").join(", ")}`, slots);
    }
    await q.query(`INSERT INTO cache_versions (kind, version) VALUES ${KINDS.map(() => "(?, 0)").join(", ")}`, KINDS);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("cache_versions");
    await q.dropTable("price_write_locks");
  }
}
