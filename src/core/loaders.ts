/**
 * Per-request batch loaders: the object fields of the graph (an order's shop, lab and images, a
 * shop's group, ...) are read for a whole page in one batch per field, never once per row. Each
 * loader lives in the request's memo, so nothing read for one caller is ever answered to another,
 * and what a caller may not read comes back as null.
 */
import DataLoader from "dataloader";
import type { RequestContext } from "./request-context";

/**
 * The request's loader named `key`, made on first use. `batch` reads the values of many keys at
 * once (those the caller may read); a key it leaves out loads as null.
 */
export function batchLoader<K, V>(ctx: RequestContext, key: string, batch: (keys: readonly K[]) => Promise<Map<K, V>>): DataLoader<K, V | null> {
  const memoKey = `loader:${key}`;
  let loader = ctx.memo.get(memoKey) as DataLoader<K, V | null> | undefined;
  if (!loader) {
    loader = new DataLoader<K, V | null>(async (keys) => {
      const found = await batch(keys);
      return keys.map((k) => found.get(k) ?? null);
    });
    ctx.memo.set(memoKey, loader);
  }
  return loader;
}

/** Loads one value by key through the request's loader `key`; null for no key. */
export function loadOne<K, V>(
  ctx: RequestContext,
  key: string,
  id: K | null | undefined,
  batch: (keys: readonly K[]) => Promise<Map<K, V>>,
): Promise<V | null> {
  if (id === null || id === undefined) return Promise.resolve(null);
  return batchLoader(ctx, key, batch).load(id);
}
