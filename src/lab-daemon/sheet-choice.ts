/**
 * The paper a sub-order prints on. The order says what its service prints on (the catalog's print
 * size, frozen when the order was quoted); the operator's flags only override it: `--sheet
 * SERVICE=SIZE` for one service, then `--sheet SIZE` for every service. An order that states no
 * size prints on A4, as before print sizes were in the catalog.
 */
import { parseSheetSize, sheetOf, type SheetSize } from "../catalog/print-sizes";
import type { JobSubOrder } from "./center-protocol";

export const DEFAULT_SHEET: SheetSize = parseSheetSize("A4");

export interface SheetOverrides {
  /** `--sheet SIZE`: every service, whatever its order says. */
  sheet?: SheetSize | null;
  /** `--sheet SERVICE=SIZE`: one service. */
  sheetByService?: ReadonlyMap<string, SheetSize>;
}

export type SheetFor = (subOrder: Pick<JobSubOrder, "serviceId" | "printSize">) => SheetSize;

/**
 * Where a sub-order's paper came from, for the ticket: the order's print size (`ORDER`), the
 * operator's `--sheet` flag replacing it (`OPERATOR`), or A4 when the order named none (`DEFAULT`).
 */
export type SheetSource = "ORDER" | "OPERATOR" | "DEFAULT";

export function sheetChooser(o: SheetOverrides): SheetFor {
  return (s) => o.sheetByService?.get(s.serviceId) ?? o.sheet ?? (s.printSize ? sheetOf(s.printSize) : DEFAULT_SHEET);
}

export function sheetSource(o: SheetOverrides, s: Pick<JobSubOrder, "serviceId" | "printSize">): SheetSource {
  if (o.sheetByService?.has(s.serviceId) || o.sheet) return "OPERATOR";
  return s.printSize ? "ORDER" : "DEFAULT";
}

/** How an image without a layout goes on its page: the order's fill (cover) or fit (contain); fit when it says nothing. */
export function looseFit(s: Pick<JobSubOrder, "printSize">): "cover" | "contain" {
  return s.printSize?.fit === "FILL" ? "cover" : "contain";
}
