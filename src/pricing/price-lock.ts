/**
 * Price writes serialised per scope and product. The overlap rule (no two rows of one scope and
 * product cover the same day and sheet count) and the allowance rule (a shop admin's price lies in
 * the allowance) are checks over several rows, so two transactions checking at once would each
 * pass without seeing the other's write. Every writer into a scope and product therefore first
 * increments that key's lock row and holds it until commit; the checks that follow read only once
 * the lock is held (on MariaDB a transaction's snapshot is taken at its first plain read, which
 * must come after the lock).
 *
 * Keys map onto a fixed set of lock rows (seeded by the migration), so a lock never inserts (no gap
 * locks, no duplicate-key waits) and one UPDATE takes all of a writer's rows in key order: lockers
 * never deadlock with each other. Two keys sharing a row just wait for each other.
 */
import { createHash } from "node:crypto";
import { Column, Entity, PrimaryColumn, type EntityManager } from "typeorm";
import { incrementCounterRows } from "../db/counter-rows";

/** How many lock rows the keys are spread over. */
export const PRICE_LOCK_SLOTS = 1024;

/** One lock row; `version` counts the writes that held it. */
@Entity("price_write_locks")
export class PriceWriteLockEntity {
  @PrimaryColumn({ type: "int" })
  slot!: number;

  @Column({ type: "bigint" })
  version!: string;
}

/** The scope and product a price row or an allowance belongs to. */
export interface PriceLockKey {
  shopGroupId?: string | null;
  shopId?: string | null;
  productId: string;
}

/** The lock row of a scope and product. An allowance shares its shop's key, so it serialises with that shop's prices. */
export function priceLockSlot(key: PriceLockKey): number {
  const scope = key.shopId ? `S:${key.shopId}` : key.shopGroupId ? `G:${key.shopGroupId}` : "STANDARD";
  return createHash("sha256").update(`${scope}\u0000${key.productId}`).digest().readUInt32BE(0) % PRICE_LOCK_SLOTS;
}

/** Takes the lock rows of these keys in the transaction of `em`, waiting for their holders to commit. */
export async function lockPriceKeys(em: EntityManager, keys: readonly PriceLockKey[]): Promise<void> {
  const slots = [...new Set(keys.map(priceLockSlot))].sort((a, b) => a - b);
  await incrementCounterRows(em, "price_write_locks", "slot", slots);
}
