/**
 * The ingest benchmark's ceiling: the same images decoded and thumbnailed by sharp in this one
 * process, as many at once as the center's decode gate allows (IMAGE_DECODE_CONCURRENCY), with the
 * center's own decode: the header read first (metadata), then the whole image decoded into its
 * thumbnail (EXIF orientation applied, at most THUMBNAIL_MAX_SIDE pixels, on white, JPEG 80), with
 * the same decode options. Nothing else: no HTTP, no hashing, no files, no database. The images are
 * given as buffers (the center reads its spooled copy from a file in the page cache).
 */
import { performance } from "node:perf_hooks";
import sharp from "sharp";
import { THUMBNAIL_MAX_SIDE } from "../../src/images/images.service";

export interface CeilingRun {
  images: number;
  bytes: number;
  seconds: number;
  /** CPU of this process over the run (every thread: libvips' included). */
  cpuSeconds: number;
}

// As the center: libvips' caches off (each image is read once).
sharp.cache(false);

const DECODE: sharp.SharpOptions = { failOn: "error", limitInputPixels: 100_000_000, sequentialRead: true };

async function decodeAndThumbnail(bytes: Buffer, width: number, height: number): Promise<void> {
  const meta = await sharp(bytes, { ...DECODE, limitInputPixels: false }).metadata();
  if (meta.format !== "jpeg" || meta.width !== width || meta.height !== height)
    throw new Error(`ceiling: unexpected image ${meta.format} ${meta.width}x${meta.height}`);
  await sharp(bytes, DECODE)
    .autoOrient()
    .resize({ width: THUMBNAIL_MAX_SIDE, height: THUMBNAIL_MAX_SIDE, fit: "inside", withoutEnlargement: true })
    .flatten({ background: "#ffffff" })
    .jpeg({ quality: 80 })
    .toBuffer();
}

/** Images `from` to `to - 1`, `concurrency` at a time. */
export async function runCeiling(
  images: { bytesOf(i: number): Buffer; width: number; height: number },
  from: number,
  to: number,
  concurrency: number,
): Promise<CeilingRun> {
  let next = from;
  let bytes = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < to) {
        const b = images.bytesOf(next++);
        bytes += b.length;
        await decodeAndThumbnail(b, images.width, images.height);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { images: to - from, bytes, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
