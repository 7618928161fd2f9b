/**
 * A design template's preview, as the center keeps it: PNG, JPEG, GIF and WebP images as data
 * URLs (bare base64 too), anything else or anything too long refused with its code. Pure: no center.
 */
import { makePng } from "../support/images";
import { MAX_PREVIEW_LENGTH, normalisePreview } from "../../src/design-templates/design-templates.service";

const png = (seed = 0) => makePng(8, 6, seed).toString("base64");
const dataUrl = (seed = 0) => `data:image/png;base64,${png(seed)}`;
const jpegB64 = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]).toString("base64");
/** A PNG whose base64 is exactly this many characters (a multiple of 4: no padding). */
const bigPng = (chars: number) => Buffer.concat([makePng(8, 6), Buffer.alloc((chars * 3) / 4 - makePng(8, 6).length)]).toString("base64");

describe("previews", () => {
  it("keeps PNG, JPEG, GIF and WebP images as data URLs, bare base64 included", () => {
    expect(normalisePreview(dataUrl(1))).toEqual({ ok: true, dataUrl: dataUrl(1) });
    expect(normalisePreview(png(1))).toEqual({ ok: true, dataUrl: dataUrl(1) });
    expect(normalisePreview(jpegB64)).toEqual({ ok: true, dataUrl: `data:image/jpeg;base64,${jpegB64}` });
    const gif = Buffer.from("GIF89a\x01\x00\x01\x00", "latin1").toString("base64");
    expect(normalisePreview(gif)).toEqual({ ok: true, dataUrl: `data:image/gif;base64,${gif}` });
    const webp = Buffer.concat([Buffer.from("RIFF"), Buffer.from([4, 0, 0, 0]), Buffer.from("WEBPVP8 ")]).toString("base64");
    expect(normalisePreview(webp)).toEqual({ ok: true, dataUrl: `data:image/webp;base64,${webp}` });
  });

  it.each([
    ["empty", "", "INVALID_PREVIEW"],
    ["not base64", "not base64!", "INVALID_PREVIEW"],
    ["base64 of text", Buffer.from("hello, world").toString("base64"), "INVALID_PREVIEW"],
    [
      "an SVG (may carry script)",
      `data:image/svg+xml;base64,${Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>").toString("base64")}`,
      "INVALID_PREVIEW",
    ],
    ["a PNG that says it is a JPEG", `data:image/jpeg;base64,${png()}`, "INVALID_PREVIEW"],
    ["a data URL of text", `data:text/plain;base64,${png()}`, "INVALID_PREVIEW"],
    ["a data URL of 65,538 characters", `data:image/png;base64,${bigPng(65_516)}`, "PREVIEW_TOO_LARGE"],
    ["bare base64 of 65,516 characters (65,538 as a data URL)", bigPng(65_516), "PREVIEW_TOO_LARGE"],
  ])("refuses %s", (_title, raw, code) => {
    expect(normalisePreview(raw)).toMatchObject({ ok: false, code });
  });

  it("takes the largest preview that fits in 65,535 characters", () => {
    const largest = `data:image/png;base64,${bigPng(65_512)}`;
    expect(largest.length).toBe(MAX_PREVIEW_LENGTH - 1);
    expect(normalisePreview(largest)).toEqual({ ok: true, dataUrl: largest });
  });
});
