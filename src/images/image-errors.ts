/**
 * What the images' HTTP edge answers on a refusal: a status, a stable code and a message, as
 * `{ error: { code, message } }`. Raised by the upload (ImagesService) and by the form reader.
 */
import { HttpRefusal } from "../core/http-refusal";

export type ImageErrorCode =
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "NOT_FOUND"
  | "INVALID_ID"
  | "EMPTY_BODY"
  | "INVALID_FORM"
  | "MISSING_FILE"
  | "TOO_MANY_FILES"
  | "IMAGE_ID_TAKEN"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "INVALID_IMAGE"
  | "TOO_MANY_PIXELS"
  | "INVALID_SIGNATURE"
  | "SIGNATURE_EXPIRED"
  | "JOB_WITHDRAWN"
  | "CLIENT_ABORTED"
  | "RATE_LIMITED"
  | "UPLOAD_QUOTA_EXCEEDED"
  | "BUSY"
  | "STORAGE_ERROR";

/** A refusal of the images' edge with its HTTP status and stable code. */
export class ImageError extends HttpRefusal {
  constructor(
    status: number,
    override readonly code: ImageErrorCode,
    message: string,
    /** Seconds after which the same request may succeed (429, 503): sent as Retry-After. */
    retryAfterSeconds?: number,
  ) {
    super(status, code, message, retryAfterSeconds);
    this.name = "ImageError";
  }
}
