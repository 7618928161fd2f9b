/**
 * Images as labs expect them: turned upright (EXIF orientation), converted to sRGB from whatever ICC
 * profile they carry (sRGB is assumed when they carry none), tagged sRGB (the profile embedded in
 * the JPEG), every other piece of metadata left behind (EXIF, GPS, XMP, IPTC, comments), JPEG at
 * quality 95 without chroma subsampling, and exactly the print size's pixels at the print
 * resolution (300 dpi: L 3.5x5 in = 1050 x 1500, 4x6 in = 1200 x 1800).
 *
 * Rendered sheets (print-files.ts) go through the same colour handling; a controller dialect that
 * hands the controller one file per image calls prepareImage for each.
 */
import sharp from "sharp";
import { PRINT_DPI, PRINT_JPEG_QUALITY, WHITE, asTaggedSrgb, withJfifDensity } from "./print-colour";
import { sheetPixels, type SheetSize } from "./print-files";

/**
 * fill: the print is covered, the image cropped to its proportions (centred), as photo prints are;
 * fit: the whole image on the print, white around it.
 */
export type PrintFit = "fill" | "fit";

export interface PrepareOptions {
  /** Pixels per inch of the print (default 300). */
  dpi?: number;
  /** Default fill. */
  fit?: PrintFit;
  /** JPEG quality, 1-100 (default 95). */
  quality?: number;
}

export interface PreparedImage {
  /** The JPEG, tagged sRGB. */
  bytes: Buffer;
  /** Its pixels: the print size's at `dpi`, its sides turned to the image's (a landscape image gives a landscape print). */
  widthPx: number;
  heightPx: number;
  dpi: number;
  /** The image's own pixels, upright. */
  sourceWidthPx: number;
  sourceHeightPx: number;
  /** How many of the image's own pixels each inch of the print shows (below `dpi`: the image was enlarged). */
  effectiveDpi: number;
}

/**
 * One image prepared for a print of `size`: upright, sRGB, tagged, stripped, at the size's pixels
 * (see PrepareOptions). Throws what sharp throws for bytes that are not an image.
 */
export async function prepareImage(bytes: Buffer, size: SheetSize, opts: PrepareOptions = {}): Promise<PreparedImage> {
  const dpi = opts.dpi ?? PRINT_DPI;
  const fit = opts.fit ?? "fill";
  const px = sheetPixels(size, dpi);
  const { autoOrient } = await sharp(bytes).metadata();
  const [w, h] = [autoOrient.width, autoOrient.height];
  // The print's sides follow the image's: a landscape photo is printed landscape, not turned.
  const turn = w !== h && px.width !== px.height && w > h !== px.width > px.height;
  const [W, H] = turn ? [px.height, px.width] : [px.width, px.height];
  const scale = fit === "fill" ? Math.max(W / w, H / h) : Math.min(W / w, H / h);
  const jpeg = withJfifDensity(
    await asTaggedSrgb(
      sharp(bytes)
        .autoOrient()
        .resize(W, H, { fit: fit === "fill" ? "cover" : "contain", position: "centre", background: WHITE })
        .flatten({ background: WHITE }),
    )
      .jpeg({ quality: opts.quality ?? PRINT_JPEG_QUALITY, chromaSubsampling: "4:4:4" })
      .toBuffer(),
    dpi,
  );
  return { bytes: jpeg, widthPx: W, heightPx: H, dpi, sourceWidthPx: w, sourceHeightPx: h, effectiveDpi: Math.round((dpi / scale) * 10) / 10 };
}
