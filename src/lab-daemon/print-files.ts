/**
 * Print files: a job's images laid out on sheets of paper. Planning is pure (which item goes on
 * which page, where, and how many copies of each page); rendering composes each page with sharp onto
 * a white canvas of the sheet's size at the chosen resolution, and writes a JPEG, or a one-page PDF
 * that embeds that JPEG at the sheet's size in points. Colour: every image is turned into sRGB from
 * its own profile (sRGB assumed without one) and the sheet is tagged sRGB: the JPEG carries the
 * profile, the PDF names it as the image's colour space and as its output intent (print-colour.ts).
 *
 * Geometry: a layout is in millimetres from the sheet's top-left corner (the contract's LayoutInput);
 * the image fills its box (cropped to the box's proportions, like a photo print), turned clockwise by
 * `rotation` degrees about the box's centre; anything outside the sheet is clipped. Items without a
 * layout get a page each and are fitted whole onto it (or fill it, cropped, when the order's print
 * size says FILL), turned a quarter when that fits them better.
 */
import sharp from "sharp";
import { MM_PER_INCH, type SheetSize } from "../catalog/print-sizes";
import { PRINT_JPEG_QUALITY, asTaggedSrgb, srgbIccProfile, withJfifDensity } from "./print-colour";

// Each image is read once per sheet; libvips' caches would only hold memory in a long-lived daemon.
sharp.cache(false);

export const PT_PER_INCH = 72;

// The named sizes live with the catalog (the center states what each service prints on); the
// daemon lays out on the same table.
export { MM_PER_INCH, SHEET_SIZES, parseSheetSize, type SheetSize } from "../catalog/print-sizes";

/** Millimetres to whole pixels at a resolution. */
export function mmToPx(mm: number, dpi: number): number {
  return Math.round((mm * dpi) / MM_PER_INCH);
}

/** A sheet's pixel size at a resolution (A4 at 300 dpi: 2480 x 3508). */
export function sheetPixels(sheet: SheetSize, dpi: number): { width: number; height: number } {
  return { width: Math.max(1, mmToPx(sheet.widthMm, dpi)), height: Math.max(1, mmToPx(sheet.heightMm, dpi)) };
}

/** The contract's LayoutInput, parsed from an item's `layout` JSON. */
export interface Layout {
  page: number;
  x: number;
  y: number;
  width: number;
  height: number;
  rotation: number;
}

/**
 * An item's layout from its JSON, or null when it has none. A layout that cannot be used (not JSON,
 * a missing or non-finite number, a size of zero) is refused with a RangeError naming the item.
 */
export function parseLayout(json: string | null | undefined, itemId = "?"): Layout | null {
  if (json === null || json === undefined || json === "") return null;
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    throw new RangeError(`item ${itemId}: its layout is not JSON`);
  }
  if (v === null) return null;
  if (typeof v !== "object" || Array.isArray(v)) throw new RangeError(`item ${itemId}: its layout is not an object`);
  const o = v as Record<string, unknown>;
  const num = (k: string, dflt?: number): number => {
    const x = o[k] ?? dflt;
    if (typeof x !== "number" || !Number.isFinite(x)) throw new RangeError(`item ${itemId}: layout.${k} must be a number`);
    return x;
  };
  const layout = { page: num("page", 1), x: num("x"), y: num("y"), width: num("width"), height: num("height"), rotation: num("rotation", 0) };
  if (!Number.isInteger(layout.page) || layout.page < 1) throw new RangeError(`item ${itemId}: layout.page must be 1 or more`);
  if (layout.width <= 0 || layout.height <= 0) throw new RangeError(`item ${itemId}: layout width and height must be more than 0`);
  return layout;
}

/** What planning needs of an order's sub-order. */
export interface PlanSubOrder {
  id: string;
  serviceId: string;
  /** Sheets ordered (what the customer paid for). */
  sheets: number;
  items: Array<{ id: string; imageId: string; designTemplateId?: string | null; layout?: string | null }>;
}

export interface PlacedItem {
  itemId: string;
  imageId: string;
  designTemplateId: string | null;
  /** Where, in millimetres; for a fitted item, the whole sheet. */
  box: { x: number; y: number; width: number; height: number };
  rotation: number;
  /** cover: fill the box (crop); contain: the whole image inside the box (white around it). */
  fit: "cover" | "contain";
  /** An item without a layout: turned a quarter when the image's orientation differs from the page's. */
  loose?: boolean;
}

/** One page design of a sub-order, and how many times it is printed. */
export interface SheetPlan {
  subOrderId: string;
  serviceId: string;
  page: number;
  copies: number;
  sheet: SheetSize;
  items: PlacedItem[];
}

/**
 * Pages of one sub-order: one per layout page number (in order), then one per item without a
 * layout. The ordered sheets are shared out over the pages in turn (page 1 gets the extra copy
 * first), and every page is printed at least once: sheets = pages gives one of each, a single page
 * gets every sheet.
 */
export function planSheets(subOrder: PlanSubOrder, sheet: SheetSize, looseFit: "cover" | "contain" = "contain"): SheetPlan[] {
  const byPage = new Map<number, PlacedItem[]>();
  const loose: PlacedItem[] = [];
  for (const item of subOrder.items) {
    const layout = parseLayout(item.layout, item.id);
    const base = { itemId: item.id, imageId: item.imageId, designTemplateId: item.designTemplateId ?? null };
    if (layout) {
      const list = byPage.get(layout.page) ?? [];
      list.push({ ...base, box: { x: layout.x, y: layout.y, width: layout.width, height: layout.height }, rotation: layout.rotation, fit: "cover" });
      byPage.set(layout.page, list);
    } else {
      loose.push({ ...base, box: { x: 0, y: 0, width: sheet.widthMm, height: sheet.heightMm }, rotation: 0, fit: looseFit, loose: true });
    }
  }
  const pages: Array<{ page: number; items: PlacedItem[] }> = [...byPage.entries()].sort((a, b) => a[0] - b[0]).map(([page, items]) => ({ page, items }));
  let next = pages.length > 0 ? pages[pages.length - 1].page + 1 : 1;
  for (const item of loose) pages.push({ page: next++, items: [item] });
  const ordered = Math.max(1, subOrder.sheets);
  return pages.map((p, i) => ({
    subOrderId: subOrder.id,
    serviceId: subOrder.serviceId,
    page: p.page,
    copies: Math.max(1, Math.floor(ordered / pages.length) + (i < ordered % pages.length ? 1 : 0)),
    sheet,
    items: p.items,
  }));
}

export type PrintFormat = "jpeg" | "pdf";

export interface RenderOptions {
  dpi: number;
  format: PrintFormat;
  /** JPEG quality, 1-100 (default 95). */
  quality?: number;
}

/** Image bytes by image id; design templates (frames) by template id, when the lab holds them as images. */
export interface RenderSources {
  images: ReadonlyMap<string, Buffer>;
  templates?: ReadonlyMap<string, Buffer>;
}

export interface RenderedSheet {
  bytes: Buffer;
  widthPx: number;
  heightPx: number;
  contentType: "image/jpeg" | "application/pdf";
  /** Items that fell wholly outside the sheet (nothing of them printed). */
  offSheet: string[];
}

/** Renders one page: a white canvas of the sheet's size with its items composed on it. */
export async function renderSheet(plan: SheetPlan, sources: RenderSources, opts: RenderOptions): Promise<RenderedSheet> {
  const { width: W, height: H } = sheetPixels(plan.sheet, opts.dpi);
  const layers: sharp.OverlayOptions[] = [];
  const offSheet: string[] = [];
  for (const item of plan.items) {
    const bytes = sources.images.get(item.imageId);
    if (!bytes) throw new Error(`image ${item.imageId} of item ${item.itemId} was not downloaded`);
    const box = {
      left: mmToPx(item.box.x, opts.dpi),
      top: mmToPx(item.box.y, opts.dpi),
      width: Math.max(1, mmToPx(item.box.width, opts.dpi)),
      height: Math.max(1, mmToPx(item.box.height, opts.dpi)),
    };
    const photo = await placeImage(bytes, box, item, W, H);
    if (!photo) {
      offSheet.push(item.itemId);
      continue;
    }
    layers.push(photo);
    const frame = item.designTemplateId ? sources.templates?.get(item.designTemplateId) : undefined;
    if (frame) {
      const overlay = await placeImage(frame, box, { ...item, fit: "cover" }, W, H, "fill");
      if (overlay) layers.push(overlay);
    }
  }
  const canvas = sharp({ create: { width: W, height: H, channels: 3, background: { r: 255, g: 255, b: 255 } } }).composite(layers);
  const jpeg = withJfifDensity(
    await asTaggedSrgb(canvas.flatten({ background: { r: 255, g: 255, b: 255 } }))
      .jpeg({ quality: opts.quality ?? PRINT_JPEG_QUALITY, chromaSubsampling: "4:4:4" })
      .toBuffer(),
    opts.dpi,
  );
  if (opts.format === "jpeg") return { bytes: jpeg, widthPx: W, heightPx: H, contentType: "image/jpeg", offSheet };
  return { bytes: jpegToPdf(jpeg, W, H, plan.sheet, await srgbIccProfile()), widthPx: W, heightPx: H, contentType: "application/pdf", offSheet };
}

/**
 * One image sized to its box (in pixels), turned, and clipped to the canvas, as a raw RGBA layer;
 * null when nothing of it lands on the sheet.
 */
async function placeImage(
  bytes: Buffer,
  box: { left: number; top: number; width: number; height: number },
  item: Pick<PlacedItem, "fit" | "rotation" | "itemId" | "loose">,
  W: number,
  H: number,
  fitOverride?: "fill",
): Promise<sharp.OverlayOptions | null> {
  let boxW = box.width;
  let boxH = box.height;
  let quarter = 0;
  if ((item.loose ?? item.fit === "contain") && !fitOverride) {
    // A landscape photo on a portrait sheet (or the reverse) is turned a quarter to use the paper.
    const { autoOrient: oriented } = await sharp(bytes).metadata();
    const [w, h] = [oriented.width, oriented.height];
    if (w !== h && w > h !== boxW > boxH) {
      quarter = 90;
      [boxW, boxH] = [boxH, boxW];
    }
  }
  let img = sharp(bytes)
    .autoOrient()
    .resize(boxW, boxH, { fit: fitOverride ?? item.fit, position: "centre", background: { r: 255, g: 255, b: 255, alpha: 0 } })
    .ensureAlpha();
  const angle = (((item.rotation + quarter) % 360) + 360) % 360;
  if (angle !== 0) {
    // Resize and rotate are applied in a fixed order by one pipeline; materialise the resized image
    // first so that the turn is about the box's centre, with transparent corners.
    const sized = await img.png().toBuffer();
    img = sharp(sized).rotate(angle, { background: { r: 255, g: 255, b: 255, alpha: 0 } });
  }
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  // The turned image is centred on the box's centre.
  const left = Math.round(box.left + box.width / 2 - info.width / 2);
  const top = Math.round(box.top + box.height / 2 - info.height / 2);
  const x0 = Math.max(0, left);
  const y0 = Math.max(0, top);
  const x1 = Math.min(W, left + info.width);
  const y1 = Math.min(H, top + info.height);
  if (x1 <= x0 || y1 <= y0) return null;
  const raw = { width: info.width, height: info.height, channels: info.channels };
  if (x0 === left && y0 === top && x1 - x0 === info.width && y1 - y0 === info.height) {
    return { input: data, raw, left, top };
  }
  // sharp refuses a layer that reaches past the canvas: cut it to the visible part.
  const visible = await sharp(data, { raw })
    .extract({ left: x0 - left, top: y0 - top, width: x1 - x0, height: y1 - y0 })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { input: visible.data, raw: { width: visible.info.width, height: visible.info.height, channels: visible.info.channels }, left: x0, top: y0 };
}

/**
 * A one-page PDF (1.7) whose page is the sheet's size in points and shows the JPEG edge to edge.
 * The JPEG is embedded as is (DCTDecode): no re-encoding, no dependency. With an ICC profile (sRGB,
 * the JPEG's own), the image's colour space is that profile (ICCBased) and the document's output
 * intent names it (as PDF/A does for sRGB): a RIP reads the pixels as sRGB, not as its device's RGB.
 */
export function jpegToPdf(jpeg: Buffer, widthPx: number, heightPx: number, sheet: SheetSize, icc: Buffer | null = null): Buffer {
  const pt = (mm: number) => ((mm / MM_PER_INCH) * PT_PER_INCH).toFixed(2);
  const [wPt, hPt] = [pt(sheet.widthMm), pt(sheet.heightMm)];
  const content = Buffer.from(`q ${wPt} 0 0 ${hPt} 0 0 cm /Im0 Do Q\n`, "latin1");
  const intent = icc
    ? " /OutputIntents [<< /Type /OutputIntent /S /GTS_PDFA1 /OutputConditionIdentifier (sRGB IEC61966-2.1) /Info (sRGB IEC61966-2.1) /DestOutputProfile 6 0 R >>]"
    : "";
  const objects: Buffer[] = [
    Buffer.from(`<< /Type /Catalog /Pages 2 0 R${intent} >>`, "latin1"),
    Buffer.from("<< /Type /Pages /Kids [3 0 R] /Count 1 >>", "latin1"),
    Buffer.from(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${wPt} ${hPt}] /Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>`, "latin1"),
    Buffer.concat([
      Buffer.from(
        `<< /Type /XObject /Subtype /Image /Width ${widthPx} /Height ${heightPx} /ColorSpace ${icc ? "[/ICCBased 6 0 R]" : "/DeviceRGB"} /BitsPerComponent 8 /Filter /DCTDecode /Length ${jpeg.length} >>\nstream\n`,
        "latin1",
      ),
      jpeg,
      Buffer.from("\nendstream", "latin1"),
    ]),
    Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`, "latin1"), content, Buffer.from("endstream", "latin1")]),
  ];
  if (icc)
    objects.push(
      Buffer.concat([Buffer.from(`<< /N 3 /Alternate /DeviceRGB /Length ${icc.length} >>\nstream\n`, "latin1"), icc, Buffer.from("\nendstream", "latin1")]),
    );
  const parts: Buffer[] = [Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1")];
  let offset = parts[0].length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(offset);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, "latin1"), body, Buffer.from("\nendobj\n", "latin1")]);
    parts.push(obj);
    offset += obj.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n`, "0000000000 65535 f \n", ...offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`)].join("");
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`, "latin1"));
  return Buffer.concat(parts);
}
