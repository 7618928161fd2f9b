/**
 * `POST /images` from a browser form: a `multipart/form-data` body with exactly one file part named
 * `file` (text fields may come with it, small, and are ignored). The file part is handed to the same
 * upload as a raw body, as a stream, with the part's own Content-Type: same size limit, type checks,
 * quota and answer. Nothing is buffered beyond a stream's usual high-water mark.
 *
 * The stream handed on does not end when the file part does, but when the whole form has been read
 * and found well-formed: a second file, a field over its limit or a form cut short after the file
 * refuses the upload before anything is stored, since the upload stores what it read once its body ends.
 */
import type * as http from "node:http";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import busboy from "busboy";
import { ImageError } from "./image-errors";

/** The form field that carries the image. */
export const FORM_FILE_FIELD = "file";
/** Text fields a form may carry besides the file, and the bytes of each (name and value). */
export const FORM_MAX_FIELDS = 8;
export const FORM_MAX_FIELD_BYTES = 1024;
/**
 * What a form may hold beyond its file: the text fields, each part's headers (busboy refuses more
 * than 16 KiB of them) and boundaries. A form larger than the image limit plus this is refused (413).
 */
export const FORM_OVERHEAD_BYTES = (FORM_MAX_FIELDS + 1) * (16 * 1024 + FORM_MAX_FIELD_BYTES + 256);

/** True for a `multipart/form-data` Content-Type (whatever its parameters). */
export function isMultipartForm(contentType: string | undefined): boolean {
  return contentType !== undefined && /^\s*multipart\/form-data\s*(;|$)/i.test(contentType);
}

/** The upload the file part is given to: the raw body's path, with the part's type and body. */
export type StoreFile<T> = (contentType: string, body: Readable, declaredBytes: number | undefined) => Promise<T>;

/**
 * Reads the form in `req` and stores its one file with `store`. Rejects with an ImageError: 400
 * INVALID_FORM (malformed, a file under another name, too many fields), 400 MISSING_FILE, 400
 * TOO_MANY_FILES, 413 PAYLOAD_TOO_LARGE (a field or the whole form too big), 400 CLIENT_ABORTED,
 * or whatever `store` refuses. On a refusal the rest of `req` is left unread, for the caller.
 */
export function uploadFromForm<T>(req: http.IncomingMessage, maxImageBytes: number, store: StoreFile<T>): Promise<T> {
  let form: busboy.Busboy;
  try {
    form = busboy({
      headers: req.headers,
      limits: { files: 1, fields: FORM_MAX_FIELDS, parts: FORM_MAX_FIELDS + 1, fieldSize: FORM_MAX_FIELD_BYTES, fieldNameSize: 100, headerPairs: 16 },
    });
  } catch (e) {
    return Promise.reject(invalid(`The multipart/form-data body cannot be read: ${(e as Error).message}`));
  }
  const formLimit = maxImageBytes + FORM_OVERHEAD_BYTES;
  const length = Number(req.headers["content-length"] ?? NaN);
  // At least this much of the body is the file: the upload refuses early what cannot fit.
  const declaredBytes = Number.isSafeInteger(length) && length > FORM_OVERHEAD_BYTES ? length - FORM_OVERHEAD_BYTES : undefined;

  return new Promise<T>((resolve, reject) => {
    let failed: ImageError | null = null;
    let file: Holding | null = null;
    let received = 0;

    const cleanup = () => {
      req.unpipe(form);
      req.off("data", count);
      req.off("close", onClose);
    };
    const settle = (ok: boolean, value: unknown) => {
      cleanup();
      if (ok) resolve(value as T);
      else reject(value);
    };
    /** Refuses the upload; once the file is with `store`, through it, so that it cleans up first. */
    const fail = (e: ImageError) => {
      if (failed) return;
      failed = e;
      cleanup();
      if (file) file.fail(e);
      else reject(e);
    };
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > formLimit)
        fail(new ImageError(413, "PAYLOAD_TOO_LARGE", `A form may have at most ${formLimit} bytes: the image's limit of ${maxImageBytes} and its fields`));
    };
    const onClose = () => {
      if (!req.complete) fail(new ImageError(400, "CLIENT_ABORTED", "The upload ended before the form was complete"));
    };

    form.on("file", (name, stream, info) => {
      if (failed) {
        stream.resume();
        return;
      }
      if (name !== FORM_FILE_FIELD) {
        stream.resume();
        fail(invalid(`The image goes in the form field "${FORM_FILE_FIELD}", got a file in ${JSON.stringify(name.slice(0, 100))}`));
        return;
      }
      file = new Holding();
      stream.on("error", (e: Error) => fail(req.complete ? invalid(`The form's file part is incomplete: ${e.message}`) : aborted()));
      stream.pipe(file);
      store(info.mimeType, file, declaredBytes).then(
        (value) => settle(true, value),
        (e: unknown) => settle(false, e),
      );
    });
    form.on("field", (name, _value, info) => {
      if (info.nameTruncated || info.valueTruncated) {
        fail(new ImageError(413, "PAYLOAD_TOO_LARGE", `The form field ${JSON.stringify(name.slice(0, 100))} is over ${FORM_MAX_FIELD_BYTES} bytes`));
      }
    });
    form.on("filesLimit", () => fail(new ImageError(400, "TOO_MANY_FILES", `Send exactly one file, in the form field "${FORM_FILE_FIELD}"`)));
    form.on("fieldsLimit", () => fail(invalid(`A form may carry at most ${FORM_MAX_FIELDS} fields besides the file`)));
    form.on("partsLimit", () => fail(invalid(`A form may carry at most ${FORM_MAX_FIELDS} fields besides the file`)));
    form.on("error", (e: Error) => fail(req.complete || req.readableEnded ? invalid(`The multipart/form-data body cannot be read: ${e.message}`) : aborted()));
    form.on("close", () => {
      if (failed) return;
      if (!file) fail(new ImageError(400, "MISSING_FILE", `The form has no file: send the image in the form field "${FORM_FILE_FIELD}"`));
      else file.release();
    });
    req.on("data", count);
    req.on("close", onClose);
    req.pipe(form);
  });
}

/**
 * The file part as the upload reads it: its bytes pass through at once, but its end waits until the
 * form is done, and a refusal of the form ends it with that error instead.
 */
class Holding extends Transform {
  private done: ((e?: ImageError) => void) | null = null;
  private outcome: { error?: ImageError } | null = null;

  constructor() {
    super();
    // Errors reach the upload through its own listener; this one keeps an error raised before the
    // upload listens from being thrown.
    this.on("error", () => undefined);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    if (this.outcome) cb(this.outcome.error);
    else this.done = (e) => cb(e);
  }

  /** The form was read whole: the file may end. */
  release(): void {
    this.finish({});
  }

  /** The form is refused: the upload reading this stream fails with `e`. */
  fail(e: ImageError): void {
    const flushing = this.done !== null;
    this.finish({ error: e });
    // Before its end the stream is destroyed; at its end, the held flush fails instead.
    if (!flushing) this.destroy(e);
  }

  private finish(outcome: { error?: ImageError }): void {
    if (this.outcome) return;
    this.outcome = outcome;
    const done = this.done;
    this.done = null;
    done?.(outcome.error);
  }
}

function invalid(message: string): ImageError {
  return new ImageError(400, "INVALID_FORM", message);
}

function aborted(): ImageError {
  return new ImageError(400, "CLIENT_ABORTED", "The upload ended before the form was complete");
}
