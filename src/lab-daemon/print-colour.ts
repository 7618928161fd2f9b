/**
 * The colour and encoding of everything the lab daemon prints: sRGB, tagged with its ICC profile
 * (in a JPEG, the profile embedded; in a PDF, the image's colour space and the document's output
 * intent), JPEG at quality 95.
 */
import sharp from "sharp";

/** What labs print at. */
export const PRINT_DPI = 300;
/** JPEG quality of everything the daemon writes. */
export const PRINT_JPEG_QUALITY = 95;

export const WHITE = { r: 255, g: 255, b: 255, alpha: 1 };

/**
 * Converts any image sharp reads into sRGB and tags it so: a pipeline's input is turned into sRGB
 * from its embedded profile (sRGB assumed without one), three channels, and written with libvips'
 * sRGB profile. Apply it last, before the output format.
 */
export function asTaggedSrgb(img: sharp.Sharp): sharp.Sharp {
  return img.toColourspace("srgb").withIccProfile("srgb");
}

let srgbProfile: Promise<Buffer> | null = null;

/**
 * The sRGB ICC profile the daemon tags its output with (libvips' built-in one, CC0), for a PDF's
 * colour space and output intent: read back from a one-pixel JPEG tagged with it.
 */
export function srgbIccProfile(): Promise<Buffer> {
  srgbProfile ??= asTaggedSrgb(sharp({ create: { width: 1, height: 1, channels: 3, background: WHITE } }))
    .jpeg()
    .toBuffer()
    .then(async (jpeg) => {
      const { icc } = await sharp(jpeg).metadata();
      if (!icc) throw new Error("libvips embedded no sRGB profile");
      return icc;
    });
  return srgbProfile;
}

/**
 * A JPEG's resolution (dots per inch) in a JFIF header right after its start (the one libvips may
 * have written is replaced, else one is put in): sharp's withDensity would add an EXIF block for
 * it, and what the daemon writes carries no EXIF.
 */
export function withJfifDensity(jpeg: Buffer, dpi: number): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error("not a JPEG");
  const d = Math.max(1, Math.min(65535, Math.round(dpi)));
  // APP0, length 16, "JFIF\0", version 1.02, units 1 (dots per inch), X and Y density, no thumbnail.
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x02, 0x01, d >> 8, d & 0xff, d >> 8, d & 0xff, 0x00, 0x00]);
  const hasJfif = jpeg[2] === 0xff && jpeg[3] === 0xe0 && jpeg.toString("latin1", 6, 11) === "JFIF\0";
  const rest = hasJfif ? jpeg.subarray(4 + jpeg.readUInt16BE(4)) : jpeg.subarray(2);
  return Buffer.concat([jpeg.subarray(0, 2), app0, rest]);
}
