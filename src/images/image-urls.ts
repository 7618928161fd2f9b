/**
 * Signed download links to image originals: `/images/<id>/original?exp=<unix seconds>&sig=<HMAC>`,
 * plus `&job=<id>` for a print job's link; and to thumbnails, `/images/<id>/thumbnail?exp=&sig=`,
 * signed apart (a thumbnail's signature never opens the original), for an `<img>` that cannot send
 * a bearer header. Its own class, apart from ImagesService, because both the
 * images service (which checks links) and print-job dispatch (which hands links to labs) need it,
 * while the images service also asks dispatch whether a job's links still hold.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const DEFAULT_SIGNED_URL_TTL_SECONDS = 300;
const MAX_SIGNED_URL_TTL_SECONDS = 7 * 24 * 3600;

export type SignatureCheck = "ok" | "invalid" | "expired";

export class ImageUrlSigner {
  /** How long a link made without a TTL holds. */
  readonly ttlSeconds = DEFAULT_SIGNED_URL_TTL_SECONDS;
  private readonly key: Buffer;

  constructor(secret: Uint8Array) {
    // A key of its own for URL signatures, derived from the session secret: a signed URL can never
    // be mistaken for a session token, nor the other way round.
    this.key = createHmac("sha256", Buffer.from(secret)).update("printmesh:image-original-url:v1").digest();
  }

  /**
   * `/images/<id>/original?exp=<unix seconds>&sig=<HMAC-SHA256, base64url>`, valid for `ttlSeconds`;
   * with `jobId`, `&job=<id>` too, signed with the rest, and valid only while that job is its lab's.
   */
  signedUrl(imageId: string, ttlSeconds = DEFAULT_SIGNED_URL_TTL_SECONDS, now = Date.now(), jobId?: string): string {
    const exp = expiry(ttlSeconds, now);
    const job = jobId === undefined ? "" : `&job=${encodeURIComponent(jobId)}`;
    return `/images/${encodeURIComponent(imageId)}/original?exp=${exp}${job}&sig=${this.sign(imageId, exp, jobId)}`;
  }

  /** `/images/<id>/thumbnail?exp=<unix seconds>&sig=<HMAC>`, valid for `ttlSeconds`. */
  signedThumbnailUrl(imageId: string, ttlSeconds = DEFAULT_SIGNED_URL_TTL_SECONDS, now = Date.now()): string {
    const exp = expiry(ttlSeconds, now);
    return `/images/${encodeURIComponent(imageId)}/thumbnail?exp=${exp}&sig=${this.sign(imageId, exp, undefined, "thumbnail")}`;
  }

  /** Whether `sig` signs this id, expiry (and job) and the expiry has not passed (timing-safe). */
  check(imageId: string, exp: unknown, sig: unknown, now = Date.now(), jobId?: string): SignatureCheck {
    return this.checkFor("original", imageId, exp, sig, now, jobId);
  }

  /** As `check`, for a thumbnail's link. */
  checkThumbnail(imageId: string, exp: unknown, sig: unknown, now = Date.now()): SignatureCheck {
    return this.checkFor("thumbnail", imageId, exp, sig, now);
  }

  private checkFor(what: Signed, imageId: string, exp: unknown, sig: unknown, now: number, jobId?: string): SignatureCheck {
    if (typeof exp !== "string" && typeof exp !== "number") return "invalid";
    if (typeof sig !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(sig)) return "invalid";
    const expText = String(exp);
    if (!/^\d{1,12}$/.test(expText)) return "invalid";
    const expected = Buffer.from(this.sign(imageId, Number(expText), jobId, what), "base64url");
    const given = Buffer.from(sig, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "invalid";
    // Expiry is checked after the signature, so that a forged URL never learns more than "invalid".
    return Number(expText) * 1000 < now ? "expired" : "ok";
  }

  private sign(imageId: string, exp: number, jobId?: string, what: Signed = "original"): string {
    // An original's message is the one links were signed with before thumbnails had links.
    const message = what === "thumbnail" ? `${imageId}\n${exp}\nthumbnail` : jobId === undefined ? `${imageId}\n${exp}` : `${imageId}\n${exp}\njob:${jobId}`;
    return createHmac("sha256", this.key).update(message).digest("base64url");
  }
}

type Signed = "original" | "thumbnail";

/** The expiry (unix seconds) of a link made now for `ttlSeconds`; a RangeError outside 1 s to 7 days. */
function expiry(ttlSeconds: number, now: number): number {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_SIGNED_URL_TTL_SECONDS) {
    throw new RangeError(`ttlSeconds must be a whole number from 1 to ${MAX_SIGNED_URL_TTL_SECONDS}, got ${ttlSeconds}`);
  }
  return Math.floor(now / 1000) + ttlSeconds;
}
