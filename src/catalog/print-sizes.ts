/**
 * Print sizes: the paper a service prints on, shared by the center (catalog, resolution check) and
 * the lab daemon (which lays images out on it). Pure: no database, no GraphQL, no I/O.
 *
 * A size is named (L, 2L, KG, A4, POSTCARD, ...) or given in millimetres; sides are portrait
 * (width <= height for the named ones) and a print is turned to match an image's orientation.
 */

export const MM_PER_INCH = 25.4;

export interface SheetSize {
  /** A4, POSTCARD, ... or "WxH" for a custom size. */
  name: string;
  widthMm: number;
  heightMm: number;
}

/** The named sizes (portrait; millimetres; the photo sizes are whole inches: L 3.5x5, 2L 5x7, KG 4x6). */
export const SHEET_SIZES: Readonly<Record<string, SheetSize>> = Object.freeze({
  A3: { name: "A3", widthMm: 297, heightMm: 420 },
  A4: { name: "A4", widthMm: 210, heightMm: 297 },
  A5: { name: "A5", widthMm: 148, heightMm: 210 },
  A6: { name: "A6", widthMm: 105, heightMm: 148 },
  B5: { name: "B5", widthMm: 182, heightMm: 257 },
  LETTER: { name: "LETTER", widthMm: 215.9, heightMm: 279.4 },
  POSTCARD: { name: "POSTCARD", widthMm: 100, heightMm: 148 },
  L: { name: "L", widthMm: 88.9, heightMm: 127 },
  "2L": { name: "2L", widthMm: 127, heightMm: 177.8 },
  KG: { name: "KG", widthMm: 101.6, heightMm: 152.4 },
});

/** The smallest and largest side a custom size may have, in millimetres. */
export const MIN_SIDE_MM = 1;
export const MAX_SIDE_MM = 5000;

/**
 * A sheet size from its name (case-insensitive) or "WxH" in millimetres (e.g. "100x148"); a
 * "-LANDSCAPE" suffix swaps the sides. Throws a RangeError that lists the known names.
 */
export function parseSheetSize(spec: string): SheetSize {
  const raw = spec.trim().toUpperCase();
  const landscape = raw.endsWith("-LANDSCAPE");
  const base = landscape ? raw.slice(0, -"-LANDSCAPE".length) : raw;
  let size: SheetSize | undefined = SHEET_SIZES[base];
  const custom = /^(\d+(?:\.\d+)?)X(\d+(?:\.\d+)?)$/.exec(base);
  if (!size && custom) {
    const [w, h] = [Number(custom[1]), Number(custom[2])];
    if (w >= MIN_SIDE_MM && h >= MIN_SIDE_MM && w <= MAX_SIDE_MM && h <= MAX_SIDE_MM) size = { name: `${custom[1]}x${custom[2]}`, widthMm: w, heightMm: h };
  }
  if (!size) {
    throw new RangeError(`unknown sheet size "${spec}": use one of ${Object.keys(SHEET_SIZES).join(", ")}, or WxH in millimetres such as 100x148`);
  }
  return landscape ? { name: `${size.name}-LANDSCAPE`, widthMm: size.heightMm, heightMm: size.widthMm } : size;
}

/** FILL: the image covers the print (cropped to its proportions); FIT: the whole image, white around it. */
export type PrintFit = "FILL" | "FIT";
export const PRINT_FITS: readonly PrintFit[] = ["FILL", "FIT"];

/** What a service prints on, as the catalog states it. */
export interface PrintSize {
  /** A name of SHEET_SIZES, or null for a custom size in millimetres. */
  name: string | null;
  widthMm: number;
  heightMm: number;
  borderless: boolean;
  fit: PrintFit;
}

/** A print size as it is given (management API, bundle): a name or both sides, and the options. */
export interface PrintSizeSpec {
  name?: string | null;
  widthMm?: number | null;
  heightMm?: number | null;
  borderless?: boolean | null;
  fit?: string | null;
}

export interface PrintSizeProblem {
  code: "UNKNOWN_PRINT_SIZE" | "INVALID_PRINT_SIZE";
  message: string;
  /** The part of the spec at fault: "name", "widthMm", "heightMm", "fit" or "" for the whole. */
  field: "name" | "widthMm" | "heightMm" | "fit" | "";
}

/** Sides of a custom size are kept to a tenth of a millimetre. */
const TENTHS = 10;

/**
 * A print size from what was given, or the problems with it: a named size (its sides from the
 * table; sides given beside a name are refused) or both sides in millimetres (1 to 5000, at most
 * one decimal). Defaults: not borderless, FILL.
 */
export function toPrintSize(spec: PrintSizeSpec): { size: PrintSize } | { problems: PrintSizeProblem[] } {
  const problems: PrintSizeProblem[] = [];
  const fit = spec.fit ?? "FILL";
  if (!(PRINT_FITS as readonly string[]).includes(fit))
    problems.push({ code: "INVALID_PRINT_SIZE", message: `fit must be one of ${PRINT_FITS.join(", ")}`, field: "fit" });
  const hasSides = spec.widthMm != null || spec.heightMm != null;
  let sides: { name: string | null; widthMm: number; heightMm: number } | null = null;
  if (spec.name != null) {
    const named = SHEET_SIZES[spec.name.trim().toUpperCase()];
    if (!named) {
      problems.push({
        code: "UNKNOWN_PRINT_SIZE",
        message: `Unknown print size "${spec.name}": use one of ${Object.keys(SHEET_SIZES).join(", ")}, or widthMm and heightMm`,
        field: "name",
      });
    } else if (hasSides) {
      problems.push({ code: "INVALID_PRINT_SIZE", message: "Give a size name or widthMm and heightMm, not both", field: "name" });
    } else sides = { name: named.name, widthMm: named.widthMm, heightMm: named.heightMm };
  } else if (!hasSides) {
    problems.push({ code: "INVALID_PRINT_SIZE", message: "Give a size name or widthMm and heightMm", field: "" });
  } else {
    const side = (v: number | null | undefined, field: "widthMm" | "heightMm"): number | null => {
      if (v == null) {
        problems.push({ code: "INVALID_PRINT_SIZE", message: `${field} is needed with a size in millimetres`, field });
        return null;
      }
      if (!Number.isFinite(v) || v < MIN_SIDE_MM || v > MAX_SIDE_MM || Math.round(v * TENTHS) !== v * TENTHS) {
        problems.push({
          code: "INVALID_PRINT_SIZE",
          message: `${field} must be ${MIN_SIDE_MM} to ${MAX_SIDE_MM} millimetres, in tenths at most, got ${v}`,
          field,
        });
        return null;
      }
      return v;
    };
    const [w, h] = [side(spec.widthMm, "widthMm"), side(spec.heightMm, "heightMm")];
    if (w !== null && h !== null) sides = { name: null, widthMm: w, heightMm: h };
  }
  if (problems.length > 0 || !sides) return { problems };
  return { size: { ...sides, borderless: spec.borderless ?? false, fit: fit as PrintFit } };
}

/** A print size as a sheet the daemon lays out on: its name, or "WxH" for a custom one. */
export function sheetOf(size: Pick<PrintSize, "name" | "widthMm" | "heightMm">): SheetSize {
  return { name: size.name ?? `${size.widthMm}x${size.heightMm}`, widthMm: size.widthMm, heightMm: size.heightMm };
}

/**
 * The resolution an image prints at on a size, in whole dots per inch (rounded down). The print is
 * turned to the image's orientation (long side on long side), and each axis has its pixels per
 * inch, px / (mm / 25.4). FILL covers the print and crops the overflow, so the image is scaled until
 * both axes cover it: the lower of the two figures is the resolution. FIT shows the whole image
 * inside the print, scaled until one axis fits exactly (the other leaves a white margin): the
 * higher figure is the resolution.
 */
export function effectiveDpi(image: { width: number; height: number }, size: Pick<PrintSize, "widthMm" | "heightMm" | "fit">): number {
  const [pxLong, pxShort] = image.width >= image.height ? [image.width, image.height] : [image.height, image.width];
  const [mmLong, mmShort] = size.widthMm >= size.heightMm ? [size.widthMm, size.heightMm] : [size.heightMm, size.widthMm];
  const axes = [(pxLong * MM_PER_INCH) / mmLong, (pxShort * MM_PER_INCH) / mmShort];
  const dpi = size.fit === "FIT" ? Math.max(...axes) : Math.min(...axes);
  // Rounded down, with slack for floating error: 1200 px over 101.6 mm is 300, not 299.
  return Math.floor(dpi + 1e-9);
}

/** A low-resolution finding for one item, or null when the image has pixels enough. */
export function resolutionShortfall(
  image: { width: number; height: number },
  size: Pick<PrintSize, "widthMm" | "heightMm" | "fit">,
  minDpi: number,
): { dpi: number; minDpi: number } | null {
  const dpi = effectiveDpi(image, size);
  return dpi < minDpi ? { dpi, minDpi } : null;
}

/** The columns a service keeps its print size in (all null: none stated). */
export interface PrintSizeColumns {
  printSizeName: string | null;
  printWidthMm: number | null;
  printHeightMm: number | null;
  printBorderless: boolean | null;
  printFit: PrintFit | null;
}

/** A service's print size from its columns; null when it states none. */
export function printSizeOf(c: PrintSizeColumns): PrintSize | null {
  if (c.printWidthMm == null || c.printHeightMm == null) return null;
  return {
    name: c.printSizeName,
    widthMm: Number(c.printWidthMm),
    heightMm: Number(c.printHeightMm),
    borderless: Boolean(c.printBorderless),
    fit: c.printFit === "FIT" ? "FIT" : "FILL",
  };
}

/** The columns of a print size (null: none). */
export function printSizeColumns(size: PrintSize | null): PrintSizeColumns {
  return {
    printSizeName: size?.name ?? null,
    printWidthMm: size?.widthMm ?? null,
    printHeightMm: size?.heightMm ?? null,
    printBorderless: size ? size.borderless : null,
    printFit: size?.fit ?? null,
  };
}

/** Whether two print sizes (or none) are the same. */
export function samePrintSize(a: PrintSize | null, b: PrintSize | null): boolean {
  return JSON.stringify(printSizeColumns(a)) === JSON.stringify(printSizeColumns(b));
}

/** A print size in a line of text: "POSTCARD (100x148 mm, borderless, fill)". */
export function describePrintSize(size: PrintSize | null): string {
  if (!size) return "none";
  const options = [...(size.borderless ? ["borderless"] : []), size.fit.toLowerCase()].join(", ");
  const mm = `${size.widthMm}x${size.heightMm} mm`;
  return size.name ? `${size.name} (${mm}, ${options})` : `${mm} (${options})`;
}
