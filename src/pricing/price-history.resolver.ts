import { FieldResolver, Resolver, Root } from "type-graphql";
import { historyValue } from "./price-history-values";
import { PriceHistoryEntryType, PriceHistoryValueType } from "./pricing.types";

/** The stored snapshot (JSON) as its typed value. */
function typed(entityKind: string, json: string | null | undefined): PriceHistoryValueType | null {
  const v = historyValue(entityKind, json ?? null);
  if (v === null) return null;
  const { kind, ...fields } = v;
  return kind === "ALLOWANCE"
    ? { priceRow: null, allowance: fields as PriceHistoryValueType["allowance"] }
    : { priceRow: fields as PriceHistoryValueType["priceRow"], allowance: null };
}

/** A price history entry's before and after, typed from what was stored. */
@Resolver(() => PriceHistoryEntryType)
export class PriceHistoryResolver {
  @FieldResolver(() => PriceHistoryValueType, { nullable: true, description: "What the row or allowance was before the change; null when it was created." })
  before(@Root() entry: PriceHistoryEntryType): PriceHistoryValueType | null {
    return typed(entry.entityKind, entry.before);
  }

  @FieldResolver(() => PriceHistoryValueType, { nullable: true, description: "What the row or allowance was after the change; null when it was deleted." })
  after(@Root() entry: PriceHistoryEntryType): PriceHistoryValueType | null {
    return typed(entry.entityKind, entry.after);
  }
}
