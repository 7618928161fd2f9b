/**
 * The services of a bundle: an id, a name and, optionally, what the service prints on (a named size
 * or both sides in millimetres, borderless, fill or fit; see print-sizes.ts).
 */
import { checkFields, isObj, readList, requiredId, requiredName, show, typeName, type Entry, type Faults, type Obj } from "./bundle-fields";
import type { BundlePrintSize, BundleService } from "./bundle-types";
import { printSizeOf, toPrintSize, type PrintSize, type PrintSizeColumns } from "./print-sizes";

const PRINT_SIZE_FIELDS = ["name", "widthMm", "heightMm", "borderless", "fit"];

export function readServices(json: Obj, f: Faults): Array<Entry<BundleService>> {
  return readList<BundleService>(json, "services", f, (o, p) => {
    checkFields(o, p, ["id", "name", "printSize"], f);
    return { id: requiredId(o, "id", p, f), name: requiredName(o, "name", p, f, 200), printSize: readPrintSize(o.printSize, `${p}.printSize`, f) };
  });
}

/** A service's print size in normal form (null: none stated); undefined when at fault. */
function readPrintSize(v: unknown, path: string, f: Faults): BundlePrintSize | null | undefined {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) {
    f.add(path, "INVALID_TYPE", `printSize must be an object, got ${typeName(v)}`);
    return undefined;
  }
  checkFields(v, path, PRINT_SIZE_FIELDS, f);
  const typed = (key: string, type: "string" | "number" | "boolean"): unknown => {
    const x = v[key];
    if (x === undefined || x === null) return null;
    if (typeof x !== type) {
      f.add(`${path}.${key}`, "INVALID_TYPE", `${key} must be a ${type}, got ${show(x)}`);
      return undefined;
    }
    return x;
  };
  const spec = {
    name: typed("name", "string") as string | null | undefined,
    widthMm: typed("widthMm", "number") as number | null | undefined,
    heightMm: typed("heightMm", "number") as number | null | undefined,
    borderless: typed("borderless", "boolean") as boolean | null | undefined,
    fit: typed("fit", "string") as string | null | undefined,
  };
  if (Object.values(spec).some((x) => x === undefined)) return undefined;
  const r = toPrintSize(spec);
  if ("problems" in r) {
    for (const problem of r.problems) f.add(problem.field ? `${path}.${problem.field}` : path, problem.code, problem.message);
    return undefined;
  }
  return bundlePrintSize(r.size);
}

/** A print size as a bundle writes it: a named size by its name, a custom one by its sides. */
export function bundlePrintSize(size: PrintSize): BundlePrintSize {
  const where = size.name !== null ? { name: size.name } : { widthMm: size.widthMm, heightMm: size.heightMm };
  return { ...where, borderless: size.borderless, fit: size.fit };
}

/** A stored service's print size as a bundle writes it (null: none stated). */
export function exportedPrintSize(columns: PrintSizeColumns): BundlePrintSize | null {
  const size = printSizeOf(columns);
  return size ? bundlePrintSize(size) : null;
}

/** The print size a bundle's service states, as the catalog stores it (null: none). */
export function importedPrintSize(size: BundlePrintSize | null | undefined): PrintSize | null {
  if (!size) return null;
  const r = toPrintSize(size);
  return "size" in r ? r.size : null;
}
