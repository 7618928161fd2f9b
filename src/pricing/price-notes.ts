/** How price changes are put in their notices: who made them, and a row in a few words. */
import type { RequestContext } from "../core/request-context";
import type { PriceRowEntity } from "./price-row.entity";

export function describe(r: PriceRowEntity | null): string {
  if (!r) return "";
  const tier = r.minSheets !== null ? ` for ${r.minSheets}-${r.maxSheets ?? ""} sheets` : "";
  return `basic ${r.basicCharge} + ${r.amountCharge}/sheet from ${r.validFrom}${r.validUntil ? ` to ${r.validUntil}` : ""}${tier}`;
}

export function actorName(ctx: RequestContext): string {
  return ctx.auth.kind === "user" ? `${ctx.auth.user.login} (${ctx.auth.user.role})` : "the center";
}
