/**
 * Colour of what the daemon writes: Adobe RGB, Display P3 and untagged images come out as sRGB
 * pixels tagged sRGB (checked against the colour spaces' published primaries and transfer curves,
 * computed here, not by the library under test), without EXIF or GPS, upright, at the print size's
 * pixels at 300 dpi; rendered sheets likewise, and a PDF sheet names sRGB as its image's colour
 * space and its output intent.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import sharp from "sharp";
import { prepareImage } from "../../src/lab-daemon/image-preparation";
import { SHEET_SIZES, renderSheet, type SheetPlan } from "../../src/lab-daemon/print-files";

type Rgb = [number, number, number];
type Mat = [Rgb, Rgb, Rgb];

// --- colour spaces, from their definitions ---------------------------------------------------------

const D65: [number, number] = [0.3127, 0.329];
const SRGB_PRIMARIES: [[number, number], [number, number], [number, number]] = [
  [0.64, 0.33],
  [0.3, 0.6],
  [0.15, 0.06],
];
const P3_PRIMARIES: typeof SRGB_PRIMARIES = [
  [0.68, 0.32],
  [0.265, 0.69],
  [0.15, 0.06],
];
const ADOBE_PRIMARIES: typeof SRGB_PRIMARIES = [
  [0.64, 0.33],
  [0.21, 0.71],
  [0.15, 0.06],
];
/** Adobe RGB (1998): a pure power curve of 563/256. */
const ADOBE_GAMMA = 563 / 256;

const srgbDecode = (v: number) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
const srgbEncode = (v: number) => (v <= 0.0031308 ? v * 12.92 : 1.055 * v ** (1 / 2.4) - 0.055);

const mul = (m: Mat, v: Rgb): Rgb => [0, 1, 2].map((i) => m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2]) as Rgb;
const mulM = (a: Mat, b: Mat): Mat => [0, 1, 2].map((i) => [0, 1, 2].map((j) => a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j])) as Mat;

function inverse(m: Mat): Mat {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

const xyY = ([x, y]: [number, number]): Rgb => [x / y, 1, (1 - x - y) / y];

/** Linear RGB -> XYZ for primaries and a white point (the usual derivation). */
function rgbToXyz(primaries: typeof SRGB_PRIMARIES, white: [number, number]): Mat {
  const p = primaries.map(xyY);
  const P: Mat = [
    [p[0][0], p[1][0], p[2][0]],
    [p[0][1], p[1][1], p[2][1]],
    [p[0][2], p[1][2], p[2][2]],
  ];
  const s = mul(inverse(P), xyY(white));
  return P.map((row) => row.map((v, j) => v * s[j])) as Mat;
}

/** An 8-bit sRGB colour as 8-bit values of another RGB space with the same white (D65). */
function fromSrgb(rgb: Rgb, primaries: typeof SRGB_PRIMARIES, encode: (v: number) => number): Rgb {
  const xyz = mul(rgbToXyz(SRGB_PRIMARIES, D65), rgb.map((v) => srgbDecode(v / 255)) as Rgb);
  return mul(inverse(rgbToXyz(primaries, D65)), xyz).map((v) => Math.round(encode(Math.min(1, Math.max(0, v))) * 255)) as Rgb;
}

/** 8-bit values of an RGB space with a D65 white as 8-bit sRGB (clipped to its gamut). */
function toSrgb(rgb: Rgb, primaries: typeof SRGB_PRIMARIES, decode: (v: number) => number): Rgb {
  const xyz = mul(rgbToXyz(primaries, D65), rgb.map((v) => decode(v / 255)) as Rgb);
  return mul(inverse(rgbToXyz(SRGB_PRIMARIES, D65)), xyz).map((v) => Math.round(srgbEncode(Math.min(1, Math.max(0, v))) * 255)) as Rgb;
}

// --- an Adobe RGB (1998) ICC profile, built from the published primaries ---------------------------

/** Bradford adaptation D65 -> D50, as ICC profiles state their colorants. */
function bradfordD65toD50(): Mat {
  const B: Mat = [
    [0.8951, 0.2664, -0.1614],
    [-0.7502, 1.7135, 0.0367],
    [0.0389, -0.0685, 1.0296],
  ];
  const src = mul(B, xyY(D65));
  const dst = mul(B, [0.9642, 1, 0.8249]);
  const scale: Mat = [
    [dst[0] / src[0], 0, 0],
    [0, dst[1] / src[1], 0],
    [0, 0, dst[2] / src[2]],
  ];
  return mulM(inverse(B), mulM(scale, B));
}

/** A version 2 matrix/TRC display profile: desc, cprt, wtpt (D50), colorants and one gamma curve. */
function matrixProfile(description: string, primaries: typeof SRGB_PRIMARIES, gamma: number): Buffer {
  const m = mulM(bradfordD65toD50(), rgbToXyz(primaries, D65));
  const s15 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(Math.round(v * 65536));
    return b;
  };
  const xyz = (v: Rgb) => Buffer.concat([Buffer.from("XYZ \0\0\0\0", "latin1"), ...v.map(s15)]);
  const desc = Buffer.alloc(12 + description.length + 1 + 4 + 4 + 2 + 1 + 67);
  desc.write("desc", 0, "latin1");
  desc.writeUInt32BE(description.length + 1, 8);
  desc.write(description, 12, "latin1");
  const cprt = Buffer.from("text\0\0\0\0No copyright, test data\0", "latin1");
  const curv = Buffer.alloc(14);
  curv.write("curv", 0, "latin1");
  curv.writeUInt32BE(1, 8);
  curv.writeUInt16BE(Math.round(gamma * 256), 12);
  const column = (j: number): Rgb => [m[0][j], m[1][j], m[2][j]];
  const tags: Array<[string, Buffer]> = [
    ["desc", desc],
    ["cprt", cprt],
    ["wtpt", xyz([0.9642, 1, 0.8249])],
    ["rXYZ", xyz(column(0))],
    ["gXYZ", xyz(column(1))],
    ["bXYZ", xyz(column(2))],
    ["rTRC", curv],
    ["gTRC", curv],
    ["bTRC", curv],
  ];
  const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);
  const table = Buffer.alloc(4 + 12 * tags.length);
  table.writeUInt32BE(tags.length);
  let offset = 128 + table.length;
  const data: Buffer[] = [];
  tags.forEach(([sig, body], i) => {
    table.write(sig, 4 + 12 * i, "latin1");
    table.writeUInt32BE(offset, 8 + 12 * i);
    table.writeUInt32BE(body.length, 12 + 12 * i);
    const padded = pad(body);
    data.push(padded);
    offset += padded.length;
  });
  const header = Buffer.alloc(128);
  header.writeUInt32BE(offset, 0);
  header.writeUInt32BE(0x02100000, 8);
  header.write("mntrRGB XYZ ", 12, "latin1");
  [2026, 1, 1, 0, 0, 0].forEach((v, i) => header.writeUInt16BE(v, 24 + 2 * i));
  header.write("acsp", 36, "latin1");
  [0.9642, 1, 0.8249].forEach((v, i) => s15(v).copy(header, 68 + 4 * i));
  return Buffer.concat([header, table, ...data]);
}

// --- reading what came out -------------------------------------------------------------------------

/** An ICC profile's description (a version 2 `desc` or a version 4 `mluc`), read from its tag table. */
function iccDescription(icc: Buffer): string {
  const n = icc.readUInt32BE(128);
  for (let i = 0; i < n; i++) {
    const at = 132 + 12 * i;
    if (icc.toString("latin1", at, at + 4) !== "desc") continue;
    const off = icc.readUInt32BE(at + 4);
    const type = icc.toString("latin1", off, off + 4);
    if (type === "desc") return icc.toString("latin1", off + 12, off + 12 + icc.readUInt32BE(off + 8) - 1);
    if (type === "mluc") {
      const len = icc.readUInt32BE(off + 20);
      const start = off + icc.readUInt32BE(off + 24);
      const be = icc.subarray(start, start + len);
      return Buffer.from(be).swap16().toString("utf16le");
    }
    throw new Error(`desc of type ${type}`);
  }
  throw new Error("no desc tag");
}

/** The JPEG's APP1 (EXIF, XMP) and APP13 (IPTC) segments, and its comments. */
function metadataSegments(jpeg: Buffer): string[] {
  const found: string[] = [];
  let i = 2;
  while (i + 4 <= jpeg.length && jpeg[i] === 0xff) {
    const marker = jpeg[i + 1];
    if (marker === 0xda) break; // the image data
    const len = jpeg.readUInt16BE(i + 2);
    if (marker === 0xe1) found.push(jpeg.toString("latin1", i + 4, i + 4 + 4));
    if (marker === 0xed) found.push("APP13");
    if (marker === 0xfe) found.push("COM");
    i += 2 + len;
  }
  return found;
}

async function pixelAt(jpeg: Buffer, x: number, y: number, opts: sharp.SharpOptions = {}): Promise<Rgb> {
  const { data, info } = await sharp(jpeg, opts).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i], data[i + 1], data[i + 2]];
}

const within = (actual: Rgb, expected: Rgb, tolerance: number) => actual.every((v, i) => Math.abs(v - expected[i]) <= tolerance);

/** A flat image of one sRGB colour, converted into the profile's numbers and tagged with it (a JPEG at quality 100). */
async function taggedAs(rgb: Rgb, profile: string, width = 60, height = 40): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .withIccProfile(profile)
    .jpeg({ quality: 100, chromaSubsampling: "4:4:4" })
    .toBuffer();
}

async function untagged(rgb: Rgb, width = 60, height = 40): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .jpeg({ quality: 100, chromaSubsampling: "4:4:4" })
    .toBuffer();
}

// --- the cases ------------------------------------------------------------------------------------

/** Saturated colours inside sRGB whose numbers differ in the wider spaces. */
const RED: Rgb = [220, 40, 30];
const BLUE: Rgb = [30, 90, 210];
const L = SHEET_SIZES.L;
const FOUR_BY_SIX = { name: "4x6in", widthMm: 101.6, heightMm: 152.4 };

let dir: string;
let adobeProfile: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "printmesh-colour-"));
  adobeProfile = path.join(dir, "adobe-rgb-1998.icc");
  fs.writeFileSync(adobeProfile, matrixProfile("Adobe RGB (1998) compatible", ADOBE_PRIMARIES, ADOBE_GAMMA));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("prepareImage: colour", () => {
  const spaces = [
    {
      name: "Adobe RGB (1998)",
      profile: () => adobeProfile,
      primaries: ADOBE_PRIMARIES,
      encode: (v: number) => v ** (1 / ADOBE_GAMMA),
      decode: (v: number) => v ** ADOBE_GAMMA,
      description: /^Adobe RGB/,
    },
    { name: "Display P3", profile: () => "p3", primaries: P3_PRIMARIES, encode: srgbEncode, decode: srgbDecode, description: /P3/ },
  ];
  for (const space of spaces) {
    it(`turns ${space.name} into sRGB pixels tagged sRGB`, async () => {
      for (const colour of [RED, BLUE]) {
        const input = await taggedAs(colour, space.profile());
        // The input really holds the other space's numbers (read without its profile), far from sRGB's.
        const stored = await pixelAt(input, 30, 20, { ignoreIcc: true });
        const expectedStored = fromSrgb(colour, space.primaries, space.encode);
        expect({ stored, near: within(stored, expectedStored, 3) }).toEqual({ stored, near: true });
        expect(within(stored, colour, 8)).toBe(false);
        expect(iccDescription((await sharp(input).metadata()).icc!)).toMatch(space.description);

        const out = await prepareImage(input, L);
        const meta = await sharp(out.bytes).metadata();
        expect([meta.format, meta.width, meta.height, meta.space, meta.channels, meta.density]).toEqual(["jpeg", 1500, 1050, "srgb", 3, 300]);
        expect(iccDescription(meta.icc!)).toBe("sRGB");
        // The stored numbers, converted by the spaces' definitions; and the colour the image was made of
        // (one level of the wider space can be three of sRGB's in a dark channel).
        const got = await pixelAt(out.bytes, 750, 525, { ignoreIcc: true });
        const expected = toSrgb(stored, space.primaries, space.decode);
        expect({ got, expected, near: within(got, expected, 2) }).toEqual({ got, expected, near: true });
        expect({ got, near: within(got, colour, 5) }).toEqual({ got, near: true });
      }
    });
  }

  it("takes an untagged image as sRGB (its numbers kept) and tags it sRGB", async () => {
    const asP3 = fromSrgb(RED, P3_PRIMARIES, srgbEncode);
    for (const colour of [RED, asP3]) {
      const out = await prepareImage(await untagged(colour, 40, 60), L);
      const meta = await sharp(out.bytes).metadata();
      expect([meta.width, meta.height]).toEqual([1050, 1500]);
      expect(iccDescription(meta.icc!)).toBe("sRGB");
      const got = await pixelAt(out.bytes, 525, 750, { ignoreIcc: true });
      expect({ got, near: within(got, colour, 3) }).toEqual({ got, near: true });
    }
  });

  it("turns a greyscale image into three sRGB channels", async () => {
    const grey = await sharp({ create: { width: 40, height: 60, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .toColourspace("b-w")
      .jpeg()
      .toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const out = await prepareImage(grey, L);
    const meta = await sharp(out.bytes).metadata();
    expect([meta.channels, meta.space]).toEqual([3, "srgb"]);
    expect(iccDescription(meta.icc!)).toBe("sRGB");
    const got = await pixelAt(out.bytes, 525, 750, { ignoreIcc: true });
    expect(within(got, [128, 128, 128], 3)).toBe(true);
  });
});

describe("prepareImage: metadata, orientation and size", () => {
  it("drops EXIF (GPS, camera, copyright), XMP and comments; keeps only the sRGB profile; turns the image upright first", async () => {
    // Stored landscape (60 x 40: left red, right blue) with EXIF orientation 6: shown turned a quarter clockwise, portrait, red on top.
    const left = await sharp({ create: { width: 30, height: 40, channels: 3, background: { r: 255, g: 0, b: 0 } } })
      .png()
      .toBuffer();
    const input = await sharp({ create: { width: 60, height: 40, channels: 3, background: { r: 0, g: 0, b: 255 } } })
      .composite([{ input: left, left: 0, top: 0 }])
      .withIccProfile("p3")
      .withExif({
        IFD0: { Copyright: "Someone", Make: "CameraMaker", Model: "Model X" },
        IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 2964/100", GPSLongitudeRef: "E", GPSLongitude: "2/1 17/1 4020/100" },
      })
      .withMetadata({ orientation: 6 })
      .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></x:xmpmeta>')
      .jpeg({ quality: 100 })
      .toBuffer();
    const inMeta = await sharp(input).metadata();
    expect([inMeta.width, inMeta.height, inMeta.orientation, !!inMeta.exif, !!inMeta.xmp]).toEqual([60, 40, 6, true, true]);
    expect(inMeta.exif!.toString("latin1")).toContain("CameraMaker");
    // The GPS IFD's pointer (tag 0x8825, little- or big-endian) is in the input's EXIF.
    const gpsPointer = [Buffer.from([0x25, 0x88]), Buffer.from([0x88, 0x25])];
    expect(gpsPointer.some((t) => inMeta.exif!.includes(t))).toBe(true);

    const out = await prepareImage(input, L);
    const meta = await sharp(out.bytes).metadata();
    expect([meta.width, meta.height, meta.orientation, meta.exif, meta.xmp, meta.iptc, meta.comments]).toEqual([
      1050,
      1500,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(metadataSegments(out.bytes)).toEqual([]);
    expect(out.bytes.includes(Buffer.from("CameraMaker"))).toBe(false);
    expect(gpsPointer.some((t) => out.bytes.includes(t))).toBe(false);
    expect(iccDescription(meta.icc!)).toBe("sRGB");
    expect(within(await pixelAt(out.bytes, 525, 200), [255, 0, 0], 40)).toBe(true);
    expect(within(await pixelAt(out.bytes, 525, 1300), [0, 0, 255], 40)).toBe(true);
    expect({ width: out.widthPx, height: out.heightPx, sourceWidth: out.sourceWidthPx, sourceHeight: out.sourceHeightPx }).toEqual({
      width: 1050,
      height: 1500,
      sourceWidth: 40,
      sourceHeight: 60,
    });
  });

  it("makes the print size's pixels at 300 dpi (L 1050 x 1500, 4x6 in and KG 1200 x 1800), sides following the image, quality about 95", async () => {
    const portrait = await untagged(BLUE, 800, 1200);
    const landscape = await untagged(BLUE, 1200, 800);
    const dims = async (bytes: Buffer, size: typeof L, opts = {}) => {
      const out = await prepareImage(bytes, size, opts);
      const meta = await sharp(out.bytes).metadata();
      return [meta.width, meta.height, out.widthPx, out.heightPx];
    };
    expect(await dims(portrait, L)).toEqual([1050, 1500, 1050, 1500]);
    expect(await dims(landscape, L)).toEqual([1500, 1050, 1500, 1050]);
    expect(await dims(portrait, FOUR_BY_SIX)).toEqual([1200, 1800, 1200, 1800]);
    expect(await dims(landscape, SHEET_SIZES.KG)).toEqual([1800, 1200, 1800, 1200]);
    expect(await dims(portrait, SHEET_SIZES["2L"])).toEqual([1500, 2100, 1500, 2100]);
    expect(await dims(portrait, L, { dpi: 150 })).toEqual([525, 750, 525, 750]);
    // Quality 95 keeps a flat colour within a level or two; quality 50 makes a far smaller file of a detailed image.
    const noisy = await sharp(Buffer.from(Array.from({ length: 400 * 600 * 3 }, (_, i) => (i * 7919) % 251)), { raw: { width: 400, height: 600, channels: 3 } })
      .png()
      .toBuffer();
    const q95 = await prepareImage(noisy, L);
    const q50 = await prepareImage(noisy, L, { quality: 50 });
    expect(q95.bytes.length).toBeGreaterThan(2 * q50.bytes.length);
  });

  it("fill covers the print (cropped, centred); fit shows the whole image with white around it; the effective resolution is said", async () => {
    // 1000 x 1000: red with a blue band across the middle third.
    const band = await sharp({ create: { width: 1000, height: 334, channels: 3, background: { r: 0, g: 0, b: 255 } } })
      .png()
      .toBuffer();
    const square = await sharp({ create: { width: 1000, height: 1000, channels: 3, background: { r: 255, g: 0, b: 0 } } })
      .composite([{ input: band, left: 0, top: 333 }])
      .jpeg({ quality: 100 })
      .toBuffer();
    const fill = await prepareImage(square, L, { fit: "fill" });
    expect([fill.widthPx, fill.heightPx, fill.effectiveDpi]).toEqual([1050, 1500, 200]);
    expect(within(await pixelAt(fill.bytes, 5, 5), [255, 0, 0], 40)).toBe(true);
    expect(within(await pixelAt(fill.bytes, 525, 750), [0, 0, 255], 40)).toBe(true);
    const fit = await prepareImage(square, L, { fit: "fit" });
    expect([fit.widthPx, fit.heightPx, fit.effectiveDpi]).toEqual([1050, 1500, 285.7]);
    // 1050 x 1050 of image centred: 225 px of white above and below.
    expect(within(await pixelAt(fit.bytes, 525, 100), [255, 255, 255], 3)).toBe(true);
    expect(within(await pixelAt(fit.bytes, 525, 300), [255, 0, 0], 40)).toBe(true);
    expect(within(await pixelAt(fit.bytes, 525, 1400), [255, 255, 255], 3)).toBe(true);
  });
});

describe("rendered sheets: colour", () => {
  const plan = (imageId: string): SheetPlan => ({
    subOrderId: "S1",
    serviceId: "SV01",
    page: 1,
    copies: 1,
    sheet: SHEET_SIZES.POSTCARD,
    items: [{ itemId: "I1", imageId, designTemplateId: null, box: { x: 0, y: 0, width: 100, height: 148 }, rotation: 0, fit: "cover" }],
  });

  it("a JPEG sheet of a Display P3 and of an Adobe RGB image holds the sRGB colour, tagged sRGB, without EXIF", async () => {
    for (const profile of ["p3", adobeProfile]) {
      const input = await taggedAs(RED, profile, 40, 60);
      const sheet = await renderSheet(plan("IMG"), { images: new Map([["IMG", input]]) }, { dpi: 100, format: "jpeg" });
      const meta = await sharp(sheet.bytes).metadata();
      expect([meta.width, meta.height, meta.density, meta.exif, meta.space]).toEqual([394, 583, 100, undefined, "srgb"]);
      expect(metadataSegments(sheet.bytes)).toEqual([]);
      expect(iccDescription(meta.icc!)).toBe("sRGB");
      const got = await pixelAt(sheet.bytes, 197, 290, { ignoreIcc: true });
      expect({ got, near: within(got, RED, 3) }).toEqual({ got, near: true });
    }
  });

  it("a PDF sheet's image is in the sRGB profile's colour space, and the document's output intent is that profile", async () => {
    const sheet = await renderSheet(plan("IMG"), { images: new Map([["IMG", await taggedAs(RED, "p3", 40, 60)]]) }, { dpi: 100, format: "pdf" });
    const text = sheet.bytes.toString("latin1");
    const iccObj = /(\d+) 0 obj\n<< \/N 3 \/Alternate \/DeviceRGB \/Length (\d+) >>\nstream\n/.exec(text)!;
    expect(iccObj).not.toBeNull();
    const [num, length] = [iccObj[1], Number(iccObj[2])];
    const start = iccObj.index + iccObj[0].length;
    const icc = sheet.bytes.subarray(start, start + length);
    expect(icc.readUInt32BE(0)).toBe(length);
    expect(icc.toString("latin1", 36, 40)).toBe("acsp");
    expect(iccDescription(icc)).toBe("sRGB");
    expect(text).toContain(`/ColorSpace [/ICCBased ${num} 0 R]`);
    expect(text).toMatch(new RegExp(`/OutputIntents \\[<< /Type /OutputIntent /S /GTS_PDFA1 .*/DestOutputProfile ${num} 0 R >>\\]`));
    const jpegStart = sheet.bytes.indexOf(Buffer.from([0xff, 0xd8, 0xff]));
    const jpegEnd = sheet.bytes.indexOf(Buffer.from("\nendstream"), jpegStart);
    const jpeg = sheet.bytes.subarray(jpegStart, jpegEnd);
    const got = await pixelAt(jpeg, 197, 290, { ignoreIcc: true });
    expect({ got, near: within(got, RED, 3) }).toEqual({ got, near: true });
  });
});
