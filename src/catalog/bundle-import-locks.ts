/**
 * The catalog import's price locks: its transaction takes the lock of every scope and product it
 * writes (src/pricing/price-lock.ts) before any read, as the center's price writes do, and then
 * compares those scopes' rows with the ones the bundle was checked against (read before the
 * transaction, to keep it short). Another writer's change in between means the overlap check would
 * have to be made again: the import is refused, writing nothing.
 */
import { In, type EntityManager } from "typeorm";
import { lockPriceKeys } from "../pricing/price-lock";
import { PriceRowEntity } from "../pricing/price-row.entity";
import type { BundleFault } from "./bundle";

/** Rolls the import's transaction back: prices it checked were changed meanwhile. */
export class ConcurrentPriceChange extends Error {
  constructor(readonly fault: BundleFault) {
    super(fault.message);
  }
}

/** Product ids per query. */
const CHUNK = 500;
const FIELDS = ["shopGroupId", "shopId", "productId", "validFrom", "validUntil", "basicCharge", "amountCharge", "minSheets", "maxSheets"] as const;

const scopeKey = (r: PriceRowEntity): string => `${r.shopId ? `S:${r.shopId}` : r.shopGroupId ? `G:${r.shopGroupId}` : "STANDARD"}\u0000${r.productId}`;
const same = (a: PriceRowEntity, b: PriceRowEntity): boolean => FIELDS.every((f) => a[f] === b[f]);

/**
 * Locks the scopes and products of the rows and allowances the import writes; throws
 * {@link ConcurrentPriceChange} when the rows of those scopes in the database are no longer the
 * `checked` ones.
 */
export async function lockAndRecheckPrices(
  em: EntityManager,
  written: readonly PriceRowEntity[],
  allowances: ReadonlyArray<{ shopId: string; productId: string }>,
  checked: Iterable<PriceRowEntity>,
): Promise<void> {
  await lockPriceKeys(em, [...written, ...allowances]);
  if (written.length === 0) return;
  const keys = new Set(written.map(scopeKey));
  const products = [...new Set(written.map((r) => r.productId))];
  const before = new Map([...checked].filter((r) => keys.has(scopeKey(r))).map((r) => [r.id, r]));
  const now: PriceRowEntity[] = [];
  for (let i = 0; i < products.length; i += CHUNK) {
    now.push(...(await em.find(PriceRowEntity, { where: { productId: In(products.slice(i, i + CHUNK)) } })).filter((r) => keys.has(scopeKey(r))));
  }
  const nowIds = new Set(now.map((r) => r.id));
  const moved = now.find((r) => !before.has(r.id) || !same(before.get(r.id)!, r)) ?? [...before.values()].find((r) => !nowIds.has(r.id));
  if (moved === undefined) return;
  throw new ConcurrentPriceChange({
    path: "$.prices",
    code: "CONCURRENT_CHANGE",
    message: `price row ${moved.id} (product ${moved.productId}) was changed by another writer while the bundle was being checked; nothing was written, import it again`,
  });
}
