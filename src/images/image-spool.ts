/**
 * An upload's first step: its body copied to a temp file while it is hashed, counted and its type
 * judged from its first bytes, so that a wrong or oversized upload is refused without reading the
 * rest, and only a whole body is ever decoded.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ImageError } from "./image-errors";
import { sniffImageType, type ImageContentType } from "./image-types";

export const TYPE_NAMES: Record<ImageContentType, string> = { "image/jpeg": "JPEG", "image/png": "PNG", "image/tiff": "TIFF" };
export const ACCEPTED = "image/jpeg, image/png or image/tiff";

/** A body spooled whole: its temp file, size, SHA-256 and type (declared, or judged from its bytes). */
export interface Spooled {
  file: string;
  bytes: number;
  sha256: string;
  type: ImageContentType;
}

/**
 * Copies the body to a temp file while hashing and counting it. The type is checked from the
 * first bytes as soon as they arrive, and the size as it grows, so a wrong or oversized upload is
 * refused without reading the rest.
 */
export async function spoolUpload(body: Readable, declared: ImageContentType | null, spoolDir: string, maxBytes: number): Promise<Spooled> {
  // A body that failed while the checks above awaited will send no more events: refuse it now.
  if (body.destroyed) throw aborted(body.errored);
  const file = path.join(spoolDir, `upload-${randomBytes(12).toString("hex")}`);
  const hash = createHash("sha256");
  let bytes = 0;
  let type: ImageContentType | null = declared;
  let head: Buffer | null = Buffer.alloc(0);
  const checkHead = (final: boolean): ImageError | null => {
    if (head === null || (!final && head.length < 8)) return null;
    const sniffed = sniffImageType(head);
    head = null;
    if (sniffed === null) {
      return bytes === 0
        ? new ImageError(400, "EMPTY_BODY", "The body is empty: send the image's bytes")
        : new ImageError(415, "UNSUPPORTED_MEDIA_TYPE", `The body is not a JPEG, PNG or TIFF image (judged from its first bytes); accepted: ${ACCEPTED}`);
    }
    if (declared !== null && sniffed !== declared) {
      return new ImageError(415, "UNSUPPORTED_MEDIA_TYPE", `The body is a ${TYPE_NAMES[sniffed]} image but Content-Type says ${declared}`);
    }
    type = sniffed;
    return null;
  };
  const meter = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(tooLarge(maxBytes));
      if (head !== null) head = Buffer.concat([head, chunk.subarray(0, 16)]);
      const bad = checkHead(false);
      if (bad) return done(bad);
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      done(checkHead(true));
    },
  });

  // The body is watched from the first moment, before any await: it may fail while the spool file
  // is being made; the meter then holds the error, and pipeline() reports it from the destroyed stream.
  meter.on("error", () => undefined);

  // The body is piped, not handed to pipeline(): pipeline would destroy it on a refusal, and
  // destroying an HTTP request closes the socket before the refusal can be answered.
  let ended = false;
  const onEnd = () => {
    ended = true;
  };
  const onError = (e: unknown) => meter.destroy(aborted(e));
  const onClose = () => {
    if (!ended) meter.destroy(aborted(null));
  };
  body.on("end", onEnd);
  body.on("error", onError);
  body.on("close", onClose);
  // The file exists before any byte is read, so removing it by name on a failure always works,
  // whatever the write stream still does with its descriptor.
  await fsp.mkdir(spoolDir, { recursive: true });
  const fh = await fsp.open(file, "wx", 0o640);
  body.pipe(meter);
  try {
    await pipeline(meter, fh.createWriteStream());
  } catch (e) {
    body.unpipe(meter);
    await fsp.rm(file, { force: true });
    throw e;
  } finally {
    body.off("end", onEnd);
    body.off("error", onError);
    body.off("close", onClose);
  }
  return { file, bytes, sha256: hash.digest("hex"), type: type! };
}

export function tooLarge(maxBytes: number): ImageError {
  return new ImageError(413, "PAYLOAD_TOO_LARGE", `An image may have at most ${maxBytes} bytes (${(maxBytes / 1024 / 1024).toFixed(1)} MiB)`);
}

function aborted(e: unknown): Error {
  if (e instanceof ImageError) return e;
  const detail = e instanceof Error ? `: ${e.message}` : "";
  return new ImageError(400, "CLIENT_ABORTED", `The upload ended before the body was complete${detail}`);
}
