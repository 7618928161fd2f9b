/**
 * Print-file layout: sheet sizes, millimetres to pixels, which item lands on which page and how
 * often, and the rendered pixels themselves (a colour where an item was placed, white elsewhere).
 */
import sharp from "sharp";
import {
  jpegToPdf,
  mmToPx,
  parseLayout,
  parseSheetSize,
  planSheets,
  renderSheet,
  sheetPixels,
  SHEET_SIZES,
  type SheetPlan,
} from "../../src/lab-daemon/print-files";

const A4 = SHEET_SIZES.A4;

async function solid(width: number, height: number, rgb: [number, number, number]): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();
}

/** Left half red, right half blue. */
async function halves(width: number, height: number): Promise<Buffer> {
  const left = await sharp({ create: { width: width / 2, height, channels: 3, background: { r: 255, g: 0, b: 0 } } })
    .png()
    .toBuffer();
  return sharp({ create: { width, height, channels: 3, background: { r: 0, g: 0, b: 255 } } })
    .composite([{ input: left, left: 0, top: 0 }])
    .png()
    .toBuffer();
}

async function pixels(jpeg: Buffer): Promise<{ at(xMm: number, yMm: number, dpi: number): [number, number, number]; width: number; height: number }> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  return {
    width: info.width,
    height: info.height,
    at(xMm, yMm, dpi) {
      const x = mmToPx(xMm, dpi);
      const y = mmToPx(yMm, dpi);
      const i = (y * info.width + x) * info.channels;
      return [data[i], data[i + 1], data[i + 2]];
    },
  };
}

/** JPEG is lossy: a colour within a tolerance. */
function near(actual: [number, number, number], expected: [number, number, number], tolerance = 24): boolean {
  return actual.every((v, i) => Math.abs(v - expected[i]) <= tolerance);
}

const RED: [number, number, number] = [255, 0, 0];
const BLUE: [number, number, number] = [0, 0, 255];
const WHITE: [number, number, number] = [255, 255, 255];

function plan(items: SheetPlan["items"], sheet = A4): SheetPlan {
  return { subOrderId: "1", serviceId: "SV01", page: 1, copies: 1, sheet, items };
}

describe("sheet sizes", () => {
  it("knows the named sizes, custom WxH and landscape, and refuses the rest with the list", () => {
    expect(parseSheetSize("A4")).toEqual({ name: "A4", widthMm: 210, heightMm: 297 });
    expect(parseSheetSize("postcard")).toEqual({ name: "POSTCARD", widthMm: 100, heightMm: 148 });
    expect(parseSheetSize("20x30")).toEqual({ name: "20x30", widthMm: 20, heightMm: 30 });
    expect(parseSheetSize("a4-landscape")).toEqual({ name: "A4-LANDSCAPE", widthMm: 297, heightMm: 210 });
    expect(() => parseSheetSize("A9")).toThrow(/unknown sheet size "A9": use one of A3, A4, .*POSTCARD/);
    expect(() => parseSheetSize("0x10")).toThrow(RangeError);
  });

  it("turns millimetres into pixels: A4 at 300 dpi is 2480 x 3508", () => {
    expect(sheetPixels(A4, 300)).toEqual({ width: 2480, height: 3508 });
    expect(sheetPixels(parseSheetSize("POSTCARD"), 300)).toEqual({ width: 1181, height: 1748 });
    expect(mmToPx(25.4, 300)).toBe(300);
  });
});

describe("layouts", () => {
  it("reads the contract's LayoutInput JSON with its defaults, and refuses a broken one naming the item", () => {
    expect(parseLayout('{"x":10,"y":20,"width":30,"height":40}')).toEqual({ page: 1, x: 10, y: 20, width: 30, height: 40, rotation: 0 });
    expect(parseLayout(null)).toBeNull();
    expect(parseLayout("")).toBeNull();
    expect(() => parseLayout("{", "it-1")).toThrow("item it-1: its layout is not JSON");
    expect(() => parseLayout('{"x":1,"y":1,"width":0,"height":5}', "it-2")).toThrow("item it-2: layout width and height must be more than 0");
    expect(() => parseLayout('{"page":0,"x":1,"y":1,"width":1,"height":5}', "it-3")).toThrow("item it-3: layout.page must be 1 or more");
  });

  it("puts laid-out items on their pages, gives each loose item a page, and shares the ordered sheets out", () => {
    const layout = (page: number) => JSON.stringify({ page, x: 0, y: 0, width: 10, height: 10 });
    const plans = planSheets(
      {
        id: "1",
        serviceId: "SV01",
        sheets: 5,
        items: [
          { id: "a", imageId: "I1", layout: layout(2) },
          { id: "b", imageId: "I2", layout: layout(1) },
          { id: "c", imageId: "I3", layout: layout(2) },
          { id: "d", imageId: "I4" },
        ],
      },
      A4,
    );
    expect(plans.map((p) => [p.page, p.copies, p.items.map((i) => i.itemId), p.items.map((i) => i.fit)])).toEqual([
      [1, 2, ["b"], ["cover"]],
      [2, 2, ["a", "c"], ["cover", "cover"]],
      [3, 1, ["d"], ["contain"]],
    ]);
    // One page and ten sheets: ten copies; more pages than sheets: every page once.
    expect(planSheets({ id: "2", serviceId: "SV02", sheets: 10, items: [{ id: "x", imageId: "I" }] }, A4).map((p) => p.copies)).toEqual([10]);
    expect(
      planSheets(
        {
          id: "3",
          serviceId: "SV02",
          sheets: 1,
          items: [
            { id: "x", imageId: "I" },
            { id: "y", imageId: "J" },
          ],
        },
        A4,
      ).map((p) => p.copies),
    ).toEqual([1, 1]);
  });
});

describe("rendering", () => {
  it("makes an A4 sheet of 2480 x 3508 pixels at 300 dpi with the item at its millimetre position", async () => {
    const images = new Map([["IMG-R", await solid(400, 300, RED)]]);
    const out = await renderSheet(
      plan([{ itemId: "it", imageId: "IMG-R", designTemplateId: null, box: { x: 50, y: 100, width: 40, height: 30 }, rotation: 0, fit: "cover" }]),
      { images },
      { dpi: 300, format: "jpeg" },
    );
    expect(out.contentType).toBe("image/jpeg");
    expect([out.widthPx, out.heightPx]).toEqual([2480, 3508]);
    const meta = await sharp(out.bytes).metadata();
    expect([meta.format, meta.width, meta.height, meta.density]).toEqual(["jpeg", 2480, 3508, 300]);
    const px = await pixels(out.bytes);
    expect(near(px.at(70, 115, 300), RED)).toBe(true); // the box's centre
    expect(near(px.at(51, 101, 300), RED)).toBe(true); // just inside its top-left corner
    expect(near(px.at(89, 129, 300), RED)).toBe(true); // just inside its bottom-right corner
    expect(near(px.at(49, 115, 300), WHITE)).toBe(true); // just left of it
    expect(near(px.at(70, 131, 300), WHITE)).toBe(true); // just below it
    expect(near(px.at(10, 10, 300), WHITE)).toBe(true);
    expect(out.offSheet).toEqual([]);
  });

  it("turns an item clockwise about its box's centre", async () => {
    const images = new Map([["IMG-H", await halves(200, 100)]]);
    // A 60 x 30 mm box centred at (50, 35); turned a quarter it covers x 35..65, y 5..65.
    const out = await renderSheet(
      plan([{ itemId: "it", imageId: "IMG-H", designTemplateId: null, box: { x: 20, y: 20, width: 60, height: 30 }, rotation: 90, fit: "cover" }]),
      { images },
      { dpi: 100, format: "jpeg" },
    );
    const px = await pixels(out.bytes);
    expect(near(px.at(50, 15, 100), RED)).toBe(true); // the image's left half is now on top
    expect(near(px.at(50, 55, 100), BLUE)).toBe(true);
    expect(near(px.at(25, 35, 100), WHITE)).toBe(true); // inside the unturned box, outside the turned one
  });

  it("clips an item that reaches past the sheet, and reports one that misses it entirely", async () => {
    const images = new Map([["IMG-R", await solid(100, 100, RED)]]);
    const out = await renderSheet(
      plan([
        { itemId: "edge", imageId: "IMG-R", designTemplateId: null, box: { x: 190, y: -10, width: 40, height: 40 }, rotation: 0, fit: "cover" },
        { itemId: "gone", imageId: "IMG-R", designTemplateId: null, box: { x: 400, y: 400, width: 10, height: 10 }, rotation: 0, fit: "cover" },
      ]),
      { images },
      { dpi: 50, format: "jpeg" },
    );
    expect(out.offSheet).toEqual(["gone"]);
    const px = await pixels(out.bytes);
    expect(near(px.at(205, 10, 50), RED)).toBe(true);
    expect(near(px.at(180, 10, 50), WHITE)).toBe(true);
  });

  it("fits a loose landscape photo whole onto a portrait sheet, turned a quarter", async () => {
    const images = new Map([["IMG-L", await halves(300, 200)]]);
    const [page] = planSheets({ id: "1", serviceId: "SV02", sheets: 1, items: [{ id: "it", imageId: "IMG-L" }] }, parseSheetSize("POSTCARD"));
    const out = await renderSheet(page, { images }, { dpi: 100, format: "jpeg" });
    const px = await pixels(out.bytes);
    // 300 x 200 turned is 200 x 300, fitted into 100 x 148 mm: about 98.7 x 148, centred.
    expect(near(px.at(50, 30, 100), RED)).toBe(true);
    expect(near(px.at(50, 120, 100), BLUE)).toBe(true);
  });

  it("lays a design template held as an image over its item", async () => {
    const frame = await sharp({ create: { width: 100, height: 100, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: await solid(100, 10, [0, 160, 0]), left: 0, top: 0 }])
      .png()
      .toBuffer();
    const out = await renderSheet(
      plan([{ itemId: "it", imageId: "IMG-R", designTemplateId: "T01", box: { x: 10, y: 10, width: 100, height: 100 }, rotation: 0, fit: "cover" }]),
      { images: new Map([["IMG-R", await solid(50, 50, RED)]]), templates: new Map([["T01", frame]]) },
      { dpi: 50, format: "jpeg" },
    );
    const px = await pixels(out.bytes);
    expect(near(px.at(60, 14, 50), [0, 160, 0])).toBe(true); // the frame's band
    expect(near(px.at(60, 60, 50), RED)).toBe(true); // the photo shows through
  });

  it("writes a one-page PDF of the sheet's size in points embedding the JPEG (sRGB: see colour.test.ts)", async () => {
    const out = await renderSheet(plan([]), { images: new Map() }, { dpi: 30, format: "pdf" });
    expect(out.contentType).toBe("application/pdf");
    const text = out.bytes.toString("latin1");
    expect(text.startsWith("%PDF-1.7\n")).toBe(true);
    expect(text).toContain("/MediaBox [0 0 595.28 841.89]");
    expect(text).toContain(`/Width ${out.widthPx} /Height ${out.heightPx}`);
    expect(text.trimEnd().endsWith("%%EOF")).toBe(true);
    // The cross-reference table points at each object.
    const xrefAt = Number(/startxref\n(\d+)\n/.exec(text)![1]);
    expect(text.slice(xrefAt, xrefAt + 4)).toBe("xref");
    const offsets = [...text.slice(xrefAt).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
    expect(offsets).toHaveLength(6);
    offsets.forEach((o, i) => expect(text.slice(o, o + `${i + 1} 0 obj`.length)).toBe(`${i + 1} 0 obj`));
    // The embedded image is the sheet's JPEG.
    const start = out.bytes.indexOf(Buffer.from([0xff, 0xd8, 0xff]));
    const end = out.bytes.lastIndexOf(Buffer.from([0xff, 0xd9])) + 2;
    const meta = await sharp(out.bytes.subarray(start, end)).metadata();
    expect([meta.width, meta.height]).toEqual([out.widthPx, out.heightPx]);
    expect(jpegToPdf(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), 1, 1, parseSheetSize("POSTCARD")).toString("latin1")).toContain("/MediaBox [0 0 283.46 419.53]");
  });
});
