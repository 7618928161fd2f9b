/** Print sizes, the resolution rule and the daemon's choice of paper: pure tables of cases. */
import { describePrintSize, effectiveDpi, resolutionShortfall, toPrintSize, type PrintSize } from "../../src/catalog/print-sizes";
import { DEFAULT_SHEET, looseFit, sheetChooser, sheetSource } from "../../src/lab-daemon/sheet-choice";
import { parseSheetSize } from "../../src/lab-daemon/print-files";

const size = (name: string, fit: "FILL" | "FIT" = "FILL"): PrintSize => {
  const r = toPrintSize({ name, fit });
  if (!("size" in r)) throw new Error(JSON.stringify(r.problems));
  return r.size;
};

describe("toPrintSize", () => {
  it.each([
    [{ name: "l" }, { size: { name: "L", widthMm: 88.9, heightMm: 127, borderless: false, fit: "FILL" } }],
    [{ name: " KG ", borderless: true, fit: "FIT" }, { size: { name: "KG", widthMm: 101.6, heightMm: 152.4, borderless: true, fit: "FIT" } }],
    [{ widthMm: 101.6, heightMm: 152.4 }, { size: { name: null, widthMm: 101.6, heightMm: 152.4, borderless: false, fit: "FILL" } }],
  ])("%j is %j", (spec, expected) => {
    expect(toPrintSize(spec)).toEqual(expected);
  });

  it.each([
    [{ name: "A9" }, [["UNKNOWN_PRINT_SIZE", "name"]]],
    [{ name: "A4", heightMm: 1 }, [["INVALID_PRINT_SIZE", "name"]]],
    [{}, [["INVALID_PRINT_SIZE", ""]]],
    [{ heightMm: 10 }, [["INVALID_PRINT_SIZE", "widthMm"]]],
    [
      { widthMm: 0.5, heightMm: 5000.1 },
      [
        ["INVALID_PRINT_SIZE", "widthMm"],
        ["INVALID_PRINT_SIZE", "heightMm"],
      ],
    ],
    [{ widthMm: 10.25, heightMm: 10 }, [["INVALID_PRINT_SIZE", "widthMm"]]],
    [{ name: "L", fit: "STRETCH" }, [["INVALID_PRINT_SIZE", "fit"]]],
  ])("refuses %j", (spec, problems) => {
    const r = toPrintSize(spec);
    expect("problems" in r ? r.problems.map((p) => [p.code, p.field]) : r).toEqual(problems);
  });

  it("describes a size for people", () => {
    expect(describePrintSize(size("POSTCARD"))).toBe("POSTCARD (100x148 mm, fill)");
    expect(describePrintSize({ name: null, widthMm: 50, heightMm: 70, borderless: true, fit: "FIT" })).toBe("50x70 mm (borderless, fit)");
    expect(describePrintSize(null)).toBe("none");
  });
});

describe("effectiveDpi", () => {
  it.each([
    // L (3.5 x 5 in, 88.9 x 127 mm) at 300 dpi is 1050 x 1500 px; a pixel short is 299.
    [1050, 1500, "L", "FILL", 300],
    [1500, 1049, "L", "FILL", 299],
    // KG (4 x 6 in): 1200 x 1800 px.
    [1200, 1800, "KG", "FILL", 300],
    // The case: 1200 x 800 over A4 (297 x 210 mm): fill 102 / 96.7 -> 96; fit 102 / 96.7 -> 102.
    [1200, 800, "A4", "FILL", 96],
    [1200, 800, "A4", "FIT", 102],
    // A square image on a postcard: fill crops to the long side (148 mm), fit shows it on the short one (100 mm).
    [1000, 1000, "POSTCARD", "FILL", 171],
    [1000, 1000, "POSTCARD", "FIT", 254],
  ] as const)("%i x %i px on %s (%s) prints at %i dpi", (w, h, name, fit, dpi) => {
    expect(effectiveDpi({ width: w, height: h }, size(name, fit))).toBe(dpi);
  });

  it("4 x 6 inches in millimetres at 1200 x 1800 px is exactly 300", () => {
    expect(effectiveDpi({ width: 1200, height: 1800 }, { widthMm: 101.6, heightMm: 152.4, fit: "FILL" })).toBe(300);
  });

  it("flags below the floor only", () => {
    expect(resolutionShortfall({ width: 600, height: 400 }, size("POSTCARD"), 200)).toEqual({ dpi: 101, minDpi: 200 });
    expect(resolutionShortfall({ width: 1200, height: 800 }, size("POSTCARD"), 200)).toEqual(null);
    // 1200 px over 148 mm is 205.9 dpi, 800 px over 100 mm 203.2: 203, which meets a floor of 203.
    expect(resolutionShortfall({ width: 1200, height: 800 }, size("POSTCARD"), 203)).toEqual(null);
    expect(resolutionShortfall({ width: 1200, height: 800 }, size("POSTCARD"), 204)).toEqual({ dpi: 203, minDpi: 204 });
  });
});

describe("the daemon's paper", () => {
  const postcard = { name: "POSTCARD", widthMm: 100, heightMm: 148, borderless: true, fit: "FILL" as const };
  const custom = { name: null, widthMm: 50, heightMm: 70, borderless: false, fit: "FIT" as const };

  it("takes the order's size; --sheet SERVICE=SIZE, then --sheet SIZE, override it; A4 when nothing says", () => {
    const none = sheetChooser({});
    expect(none({ serviceId: "SV02", printSize: postcard })).toEqual({ name: "POSTCARD", widthMm: 100, heightMm: 148 });
    expect(none({ serviceId: "SV03", printSize: custom })).toEqual({ name: "50x70", widthMm: 50, heightMm: 70 });
    expect(none({ serviceId: "SV01", printSize: null })).toEqual(DEFAULT_SHEET);
    expect(DEFAULT_SHEET.name).toBe("A4");
    const flags = sheetChooser({ sheet: parseSheetSize("40x60"), sheetByService: new Map([["SV02", parseSheetSize("L")]]) });
    expect(flags({ serviceId: "SV02", printSize: postcard }).name).toBe("L");
    expect(flags({ serviceId: "SV03", printSize: custom }).name).toBe("40x60");
    expect(flags({ serviceId: "SV01" }).name).toBe("40x60");
    // The ticket says where each paper came from.
    expect([sheetSource({}, { serviceId: "SV02", printSize: postcard }), sheetSource({}, { serviceId: "SV01", printSize: null })]).toEqual([
      "ORDER",
      "DEFAULT",
    ]);
    const one = { sheetByService: new Map([["SV02", parseSheetSize("L")]]) };
    expect([sheetSource(one, { serviceId: "SV02", printSize: postcard }), sheetSource(one, { serviceId: "SV03", printSize: custom })]).toEqual([
      "OPERATOR",
      "ORDER",
    ]);
    expect(sheetSource({ sheet: parseSheetSize("40x60") }, { serviceId: "SV01" })).toBe("OPERATOR");
  });

  it("fills a page with a loose image when the order says FILL, else fits it", () => {
    expect([looseFit({ printSize: postcard }), looseFit({ printSize: custom }), looseFit({ printSize: null }), looseFit({})]).toEqual([
      "cover",
      "contain",
      "contain",
      "contain",
    ]);
  });
});
