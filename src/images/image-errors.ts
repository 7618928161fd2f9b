/**
 * What the images' HTTP edge answers on a refusal: a status, a stable code and a message, as
 * `{ error: { code, message } }`. Raised by the upload (ImagesService) and by the form reader.
 */
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

/** A refusal with its HTTP status and stable code; the routes answer `{ error: { code, message } }`. */
export class ImageError extends Error {
  constructor(
    readonly status: number,
    readonly code: ImageErrorCode,
    message: string,
    /** Seconds after which the same request may succeed (429, 503): sent as Retry-After. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "ImageError";
  }
}
