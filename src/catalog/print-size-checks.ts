/**
 * A print size as the management API and the catalog bundle give it, checked into the size the
 * catalog stores, with each fault as a UserError naming the field (see print-sizes.ts for the rule).
 */
import { userError, type UserErrorData } from "../common/errors";
import type { Field } from "../common/catalog-checks";
import { toPrintSize, type PrintSize, type PrintSizeSpec } from "./print-sizes";

/** The size to store: undefined when none was given (or it is at fault: see errors), null to state none. */
export function checkPrintSize(spec: PrintSizeSpec | null | undefined, field: Field, errors: UserErrorData[]): PrintSize | null | undefined {
  if (spec === undefined) return undefined;
  if (spec === null) return null;
  const r = toPrintSize(spec);
  if ("size" in r) return r.size;
  for (const p of r.problems) errors.push(userError(p.code, p.message, p.field ? [...field, p.field] : field));
  return undefined;
}
