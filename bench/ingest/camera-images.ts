/**
 * The ingest benchmark's images: JPEGs that cost what a camera's files cost to decode, and whose
 * bytes differ from one image to the next (so that the center's dedupe by SHA-256 never answers
 * without decoding).
 *
 * A few base pictures are encoded once (quality 90, EXIF with a make and model): soft shapes of
 * colour with grain over them, some 2.6 bits per pixel, about what a camera writes at that quality
 * (a 12 MP frame comes out near 4 MB). Image i is base i % bases with a JPEG comment segment naming
 * the run and i put right after the start-of-image marker: valid, decoded exactly like its base,
 * and of distinct bytes.
 */
import { randomBytes } from "node:crypto";
import sharp from "sharp";

export interface CameraImages {
  width: number;
  height: number;
  count: number;
  /** The bytes of image i (0 <= i < count), made when asked. */
  bytesOf(i: number): Buffer;
  /** Bytes of every image together. */
  totalBytes: number;
  /** Mean bytes of an image. */
  meanBytes: number;
}

/** Base pictures encoded for a set; more makes the set less regular, each costs an encode. */
const BASES = 4;

export async function cameraImages(width: number, height: number, count: number, runTag: string): Promise<CameraImages> {
  const bases = await Promise.all(Array.from({ length: BASES }, (_, b) => basePicture(width, height, b)));
  const comment = (i: number): Buffer => Buffer.from(`printmesh ingest benchmark ${runTag} image ${i}`, "latin1");
  const bytesOf = (i: number): Buffer => withComment(bases[i % BASES], comment(i));
  let total = 0;
  for (let i = 0; i < count; i++) total += bases[i % BASES].length + 4 + comment(i).length;
  return { width, height, count, bytesOf, totalBytes: total, meanBytes: count === 0 ? 0 : total / count };
}

async function basePicture(width: number, height: number, seed: number): Promise<Buffer> {
  // Soft shapes: random colours on a grid of 48-pixel cells, enlarged with a cubic filter.
  const cw = Math.max(2, Math.ceil(width / 48));
  const ch = Math.max(2, Math.ceil(height / 48));
  const pixels = await sharp(randomBytes(cw * ch * 3), { raw: { width: cw, height: ch, channels: 3 } })
    .resize(width, height, { kernel: "cubic" })
    .raw()
    .toBuffer();
  // Grain: the same offset on the three channels of a pixel, +-12 levels, as a sensor's noise.
  const grain = randomBytes(width * height);
  for (let i = 0, p = 0; i < grain.length; i++, p += 3) {
    const n = ((grain[i] - 128) * 24) >> 8;
    pixels[p] = clamp(pixels[p] + n);
    pixels[p + 1] = clamp(pixels[p + 1] + n);
    pixels[p + 2] = clamp(pixels[p + 2] + n);
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .withExif({ IFD0: { Make: "Printmesh", Model: `Benchmark camera ${seed + 1}` } })
    .toBuffer();
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** The JPEG with a COM segment (FF FE, 2-byte length, text) after its SOI marker (FF D8). */
function withComment(jpeg: Buffer, text: Buffer): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error("not a JPEG");
  if (text.length > 65533) throw new Error("a JPEG comment holds at most 65,533 bytes");
  const head = Buffer.from([0xff, 0xd8, 0xff, 0xfe, (text.length + 2) >> 8, (text.length + 2) & 0xff]);
  return Buffer.concat([head, text, jpeg.subarray(2)]);
}
