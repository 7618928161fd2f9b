/**
 * Images: customers' uploads and center admins' stock images (charged images are stock images).
 * An upload is streamed to a temp file while it is hashed and counted, its type is read from its
 * first bytes (never trusted from Content-Type alone), it is decoded once to prove it is a whole
 * image (which also makes its thumbnail), and only then stored and recorded. Any failure, a client
 * that goes away included, leaves neither a row nor a stored object behind.
 *
 * Labs fetch originals through short-lived signed URLs (`signedUrl`), so that a print job can
 * carry a link that needs no session.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { Readable } from "node:stream";
import sharp from "sharp";
import { In, type EntityManager } from "typeorm";
import { lockForUpdate } from "../db/locks";
import { isUniqueViolation, withTransaction } from "../db/transaction";
import type { AppContext, Auth, RequestContext } from "../core/request-context";
import { Role } from "../identity/role";
import { imageReadRule } from "./image-access";
import { ChargedImageEntity } from "../pricing/charged-image.entity";
import type { PricingService } from "../pricing/pricing.service";
import type { OrdersService } from "../orders/orders.service";
import type { PrintJobsService } from "../dispatch/print-jobs.service";
import { LocalImageStore, type ImageStore } from "./image-store";
import { ImageEntity } from "./image.entity";
import { IMAGE_CONTENT_TYPES, mediaType, sniffImageType, type ImageContentType } from "./image-types";
import { ImageError, type ImageErrorCode } from "./image-errors";
import { DecodeGate, UploadQuota, type QuotaRefusal } from "./upload-limits";
import { ACCEPTED, TYPE_NAMES, spoolUpload, tooLarge, type Spooled } from "./image-spool";
import { RateLimits } from "../common/rate-limits";
import { DEFAULT_SIGNED_URL_TTL_SECONDS, type ImageUrlSigner } from "./image-urls";

export { DEFAULT_SIGNED_URL_TTL_SECONDS, IMAGE_CONTENT_TYPES, mediaType, sniffImageType, type ImageContentType };
export { ImageError, type ImageErrorCode };

/** Largest accepted upload, in bytes, by default (IMAGE_MAX_BYTES). */
export const DEFAULT_MAX_IMAGE_BYTES = 50 * 1024 * 1024;
/** Thumbnails fit in a square of this many pixels. */
export const THUMBNAIL_MAX_SIDE = 320;
/** Ids a center admin may choose for a stock image (and that every image id satisfies). */
export const IMAGE_ID_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
/** What a print job id in a signed URL may look like (anything else is an invalid signature). */
const JOB_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

const SHARP_FORMATS: Record<ImageContentType, string> = { "image/jpeg": "jpeg", "image/png": "png", "image/tiff": "tiff" };
const EXTENSIONS: Record<ImageContentType, string> = { "image/jpeg": "jpg", "image/png": "png", "image/tiff": "tif" };

// Each upload is read once from a temp file that is deleted right after: libvips' operation and
// file caches would only keep deleted files open and hold memory.
sharp.cache(false);

export function extensionOf(contentType: string): string {
  return EXTENSIONS[contentType as ImageContentType] ?? "bin";
}

/** What the images service asks of other domains, and the signer of its download links. */
export interface ImagesCollaborators {
  /** Whether a print job's image links still hold. */
  printJobs: Pick<PrintJobsService, "downloadsAllowed">;
  /** The price book's charged images (stock images that may have no bytes). */
  pricing: PricingService;
  /** Which orders an admin may see images of. */
  orders: OrdersService;
  urls: ImageUrlSigner;
}

export interface ImagesServiceOptions {
  /** Largest upload in bytes (default DEFAULT_MAX_IMAGE_BYTES). */
  maxBytes?: number;
  /** Largest pixel count (default IMAGE_MAX_PIXELS). */
  maxPixels?: number;
  /** Where bytes live (default: a LocalImageStore under `<dataDir>/images`). */
  store?: ImageStore;
  /** Where the upload quota is counted (default: in this process only). */
  rateLimits?: RateLimits;
}

export interface UploadOptions {
  /** A stock image's id, chosen by a center admin (PUT /images/<id>); absent for a customer's upload. */
  id?: string;
  /** The Content-Length the client announced, to refuse an oversized upload before reading it. */
  declaredBytes?: number;
}

export interface UploadResult {
  image: ImageEntity;
  /** False when a stock image with this id was replaced. */
  created: boolean;
}

/** A captured image's upload (see `storeCaptured`). */
export interface CapturedUpload {
  /** The type the sender declared; null: judged from the bytes alone (FTP sends no type). */
  contentType: string | null;
  /** The length the sender announced, to refuse an oversized upload before reading it. */
  declaredBytes?: number;
  /** The image already stored with these bytes where this one would go, if any. */
  existing(sha256: string): Promise<ImageEntity | null>;
  /** Records what the new image belongs to, in the transaction that inserts its row. */
  attach(em: EntityManager, image: ImageEntity): Promise<void>;
}

export type Usability = { ok: true } | { ok: false; unknown: string[]; foreign: string[] };

export class ImagesService {
  readonly store: ImageStore;
  readonly maxBytes: number;
  readonly maxPixels: number;
  private readonly spoolDir: string;
  private readonly printJobs: ImagesCollaborators["printJobs"];
  private readonly pricing: PricingService;
  private readonly orders: OrdersService;
  private readonly urls: ImageUrlSigner;
  /** Uploads and bytes per user and window. */
  readonly quota: UploadQuota;
  /** Decodes at once (uploads and thumbnails made again), with a bounded queue. */
  readonly decodes: DecodeGate;
  /** Thumbnails being made, so that concurrent requests for one image decode it once. */
  private readonly thumbsInFlight = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly app: AppContext,
    collaborators: ImagesCollaborators,
    opts: ImagesServiceOptions = {},
  ) {
    this.printJobs = collaborators.printJobs;
    this.pricing = collaborators.pricing;
    this.orders = collaborators.orders;
    this.urls = collaborators.urls;
    this.maxBytes = opts.maxBytes ?? app.config.images.maxBytes;
    this.maxPixels = opts.maxPixels ?? app.config.images.maxPixels;
    const limits = app.config.images;
    this.quota = new UploadQuota(opts.rateLimits ?? new RateLimits(null, ""), {
      uploads: limits.uploadsPerWindow,
      bytes: limits.bytesPerWindow,
      windowSeconds: limits.windowSeconds,
    });
    this.decodes = new DecodeGate(limits.decodeConcurrency, limits.decodeQueue);
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < 1) throw new RangeError(`maxBytes must be a positive integer, got ${this.maxBytes}`);
    if (!Number.isSafeInteger(this.maxPixels) || this.maxPixels < 1) throw new RangeError(`maxPixels must be a positive integer, got ${this.maxPixels}`);
    this.store = opts.store ?? new LocalImageStore(path.join(app.config.dataDir, "images"));
    this.spoolDir = path.join(app.config.dataDir, "tmp");
  }

  /**
   * Stores an image from `body`. Without `opts.id`: a customer's (any logged-in person's) upload
   * under a new `IMG-` id, owned by the caller. With `opts.id`: a center admin's stock image under
   * that id, replacing an earlier stock image with it but never a person's image (409).
   *
   * The body is only read, never destroyed: on a refusal the caller decides what to do with the
   * rest of it (the HTTP route closes the connection after answering).
   */
  async upload(ctx: RequestContext, contentType: string | undefined | null, body: Readable, opts: UploadOptions = {}): Promise<UploadResult> {
    const stock = opts.id !== undefined;
    const owner = this.requireUploader(ctx.auth, stock);
    if (stock) checkStockId(opts.id!);
    const declared = mediaType(contentType);
    if (declared === null || !(IMAGE_CONTENT_TYPES as readonly string[]).includes(declared)) {
      throw new ImageError(415, "UNSUPPORTED_MEDIA_TYPE", `Content-Type must be ${ACCEPTED}, got ${declared === null ? "none" : JSON.stringify(declared)}`);
    }
    if (opts.declaredBytes !== undefined && opts.declaredBytes > this.maxBytes) {
      throw tooLarge(this.maxBytes);
    }
    const uploader = (ctx.auth as Extract<Auth, { kind: "user" }>).user.id;
    const refused = await this.quota.start(uploader, opts.declaredBytes);
    if (refused) throw quotaError(refused);
    if (stock) {
      // Refuse early, before reading the body; checked again in the transaction.
      const existing = await this.app.ds.getRepository(ImageEntity).findOne({ where: { id: opts.id }, select: { id: true, stock: true } });
      if (existing && !existing.stock) throw idTaken(opts.id!);
    }

    const spooled = await spoolUpload(body, declared as ImageContentType, this.spoolDir, this.maxBytes);
    let stored: string[] = [];
    let charged = 0;
    try {
      const over = await this.quota.charge(uploader, spooled.bytes);
      if (over) throw quotaError(over);
      charged = spooled.bytes;
      const { width, height, thumbnail } = await this.gated(() => this.inspect(spooled));
      const id = opts.id ?? newImageId();
      // A stock image gets a fresh key per version, so that replacing it never overwrites the bytes
      // the committed row still names (if the transaction fails, the old version stays whole).
      const key = storageKey(id, stock ? randomBytes(6).toString("hex") : undefined);
      stored = [key, thumbnailKey(key)];
      await this.store.put(key, fs.createReadStream(spooled.file));
      await this.store.put(thumbnailKey(key), Readable.from([thumbnail]));

      const row = Object.assign(new ImageEntity(), {
        id,
        ownerUserId: owner,
        stock,
        contentType: spooled.type,
        bytes: spooled.bytes,
        sha256: spooled.sha256,
        width,
        height,
        storageKey: key,
        createdAt: new Date(),
      });
      const { created, replacedKey } = await this.record(row);
      stored = [];
      charged = 0;
      if (replacedKey !== null && replacedKey !== key) await this.forget(replacedKey);
      this.app.logger.info(
        { requestId: ctx.requestId, event: created ? "image_stored" : "image_replaced", imageId: id, bytes: spooled.bytes, contentType: spooled.type, stock },
        created ? "image stored" : "stock image replaced",
      );
      return { image: row, created };
    } finally {
      if (charged > 0) await this.quota.refund(uploader, charged);
      await fsp.rm(spooled.file, { force: true });
      for (const key of stored)
        await this.store.delete(key).catch((e) => this.app.logger.error({ err: e, key }, "could not remove an unrecorded image object"));
    }
  }

  /**
   * Stores a captured image (a capture device's upload into a shoot) with the same checks as an
   * upload: type from the bytes (and matching `contentType` when one was declared), size, pixels, a
   * whole decode that makes the thumbnail. The image belongs to no person. Bytes already stored
   * (`existing` finds them by SHA-256, before any decode) are not stored again; `attach` records what
   * the image belongs to in the transaction that inserts its row, and a unique violation there (the
   * same bytes stored at the same moment) answers the image that won. Nothing is left behind on a
   * refusal.
   */
  async storeCaptured(body: Readable, opts: CapturedUpload): Promise<UploadResult> {
    let declared: ImageContentType | null = null;
    if (opts.contentType !== null) {
      const t = mediaType(opts.contentType);
      if (t === null || !(IMAGE_CONTENT_TYPES as readonly string[]).includes(t)) {
        throw new ImageError(415, "UNSUPPORTED_MEDIA_TYPE", `Content-Type must be ${ACCEPTED}, got ${t === null ? "none" : JSON.stringify(t)}`);
      }
      declared = t as ImageContentType;
    }
    if (opts.declaredBytes !== undefined && opts.declaredBytes > this.maxBytes) throw tooLarge(this.maxBytes);
    const spooled = await spoolUpload(body, declared, this.spoolDir, this.maxBytes);
    let stored: string[] = [];
    try {
      const known = await opts.existing(spooled.sha256);
      if (known) return { image: known, created: false };
      const { width, height, thumbnail } = await this.gated(() => this.inspect(spooled));
      const id = newImageId();
      const key = storageKey(id);
      stored = [key, thumbnailKey(key)];
      await this.store.put(key, fs.createReadStream(spooled.file));
      await this.store.put(thumbnailKey(key), Readable.from([thumbnail]));
      const row = Object.assign(new ImageEntity(), {
        id,
        ownerUserId: null,
        stock: false,
        contentType: spooled.type,
        bytes: spooled.bytes,
        sha256: spooled.sha256,
        width,
        height,
        storageKey: key,
        createdAt: new Date(),
      });
      try {
        await withTransaction(this.app.ds, async (em) => {
          await em.getRepository(ImageEntity).insert(row);
          await opts.attach(em, row);
        });
      } catch (e) {
        const winner = isUniqueViolation(e) ? await opts.existing(spooled.sha256) : null;
        if (!winner) throw e;
        return { image: winner, created: false };
      }
      stored = [];
      this.app.logger.info({ event: "image_captured", imageId: id, bytes: spooled.bytes, contentType: spooled.type }, "captured image stored");
      return { image: row, created: true };
    } finally {
      await fsp.rm(spooled.file, { force: true });
      for (const key of stored)
        await this.store.delete(key).catch((e) => this.app.logger.error({ err: e, key }, "could not remove an unrecorded image object"));
    }
  }

  /**
   * Deletes these images' rows in the caller's transaction (captured images a shoot no longer
   * keeps) and answers where their bytes are, for `removeStored` once the transaction has committed.
   */
  async removeRows(em: EntityManager, imageIds: readonly string[]): Promise<Array<Pick<ImageEntity, "id" | "storageKey">>> {
    if (imageIds.length === 0) return [];
    const rows = await em.find(ImageEntity, { where: { id: In([...imageIds]) }, select: { id: true, storageKey: true } });
    if (rows.length > 0) await em.delete(ImageEntity, { id: In(rows.map((r) => r.id)) });
    return rows;
  }

  /**
   * Removes images' bytes (originals and thumbnails) from the store. The caller has removed their
   * rows first, so that no row ever names missing bytes (a leftover object is only space).
   */
  async removeStored(images: readonly Pick<ImageEntity, "id" | "storageKey">[]): Promise<void> {
    for (const img of images) await this.forget(img.storageKey);
  }

  /**
   * An image's row, for its owner, a center admin, a shop or group admin when an order of their
   * scope holds it, or (stock images) anyone with a credential.
   */
  async get(ctx: RequestContext, id: string): Promise<ImageEntity> {
    if (ctx.auth.kind === "anonymous") throw new ImageError(401, "UNAUTHENTICATED", "Send Authorization: Bearer <token>");
    const row = IMAGE_ID_PATTERN.test(id) ? await this.app.ds.getRepository(ImageEntity).findOne({ where: { id } }) : null;
    if (!row || row.id !== id) throw new ImageError(404, "NOT_FOUND", `No image ${id}`);
    if (!(await this.mayView(ctx, row))) throw new ImageError(403, "FORBIDDEN", `Image ${id} is not yours`);
    return row;
  }

  /**
   * A JPEG of at most THUMBNAIL_MAX_SIDE pixels on the long side (EXIF orientation applied,
   * transparency on white), for the same callers as `get`. Made on upload; made again from the
   * original and cached as `<key>.thumb.jpg` if it is missing.
   */
  async thumbnail(ctx: RequestContext, id: string): Promise<{ image: ImageEntity; jpeg: Buffer }> {
    return this.thumbnailOf(await this.get(ctx, id));
  }

  /** A thumbnail for a holder of a valid signed thumbnail URL (no session needed: an `<img>`). */
  async signedThumbnail(id: string, exp: unknown, sig: unknown): Promise<{ image: ImageEntity; jpeg: Buffer }> {
    const check = this.urls.checkThumbnail(id, exp, sig);
    if (check === "expired") throw new ImageError(403, "SIGNATURE_EXPIRED", "This signed URL has expired; ask for a new one");
    if (check !== "ok") throw new ImageError(403, "INVALID_SIGNATURE", "This URL's signature is not valid");
    const image = await this.app.ds.getRepository(ImageEntity).findOne({ where: { id } });
    if (!image || image.id !== id) throw new ImageError(404, "NOT_FOUND", `No image ${id}`);
    return this.thumbnailOf(image);
  }

  private async thumbnailOf(image: ImageEntity): Promise<{ image: ImageEntity; jpeg: Buffer }> {
    const key = thumbnailKey(image.storageKey);
    let pending = this.thumbsInFlight.get(key);
    if (!pending) {
      pending = this.loadOrMakeThumbnail(image, () => this.gated(() => this.makeThumbnail(image))).finally(() => this.thumbsInFlight.delete(key));
      this.thumbsInFlight.set(key, pending);
    }
    return { image, jpeg: await pending };
  }

  /**
   * The original's bytes, for a holder of a valid signed URL (no session needed). A URL made for a
   * print job (`job=`) holds only while that job is waiting for its lab or leased to it.
   */
  async original(id: string, exp: unknown, sig: unknown, job?: unknown): Promise<{ image: ImageEntity; stream: Readable }> {
    const jobId = job === undefined ? undefined : typeof job === "string" && JOB_ID_PATTERN.test(job) ? job : null;
    const check = jobId === null ? "invalid" : this.urls.check(id, exp, sig, Date.now(), jobId);
    if (check === "expired") throw new ImageError(403, "SIGNATURE_EXPIRED", "This signed URL has expired; ask for a new one");
    if (check !== "ok") throw new ImageError(403, "INVALID_SIGNATURE", "This URL's signature is not valid");
    if (jobId && !(await this.printJobs.downloadsAllowed(this.app, jobId))) {
      throw new ImageError(403, "JOB_WITHDRAWN", `Print job ${jobId} is no longer at its lab (moved, cancelled or finished); this link no longer holds`);
    }
    const image = await this.app.ds.getRepository(ImageEntity).findOne({ where: { id } });
    if (!image || image.id !== id) throw new ImageError(404, "NOT_FOUND", `No image ${id}`);
    if (!(await this.store.exists(image.storageKey))) {
      this.app.logger.error({ imageId: id, key: image.storageKey }, "an image's original is missing from the store");
      throw new ImageError(500, "STORAGE_ERROR", `The bytes of image ${id} cannot be read`);
    }
    return { image, stream: this.store.get(image.storageKey) };
  }

  /**
   * Whether a user may put these images in an order: their own images and stock images. Ids of
   * charged images count as stock even when no bytes were uploaded for them (the seed fixture names
   * charged images that exist only in the price list). `who` is the caller's context or a user id;
   * anyone else (a lab, anonymous) may use stock images only. Pass `em` to read inside a transaction.
   */
  async assertUsable(who: RequestContext | string | null, imageIds: readonly string[], opts: { em?: EntityManager } = {}): Promise<Usability> {
    const userId = typeof who === "string" ? who : who && who.auth.kind === "user" ? who.auth.user.id : null;
    const ids = [...new Set(imageIds)];
    if (ids.length === 0) return { ok: true };
    const em = opts.em ?? this.app.ds.manager;
    const images = new Map<string, { ownerUserId: string | null; stock: boolean }>();
    const charged = new Set<string>();
    // Bounded IN lists; exact (case-sensitive) id matches on every engine.
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await em.find(ImageEntity, { where: { id: In(chunk) }, select: { id: true, ownerUserId: true, stock: true } });
      for (const r of rows) images.set(r.id, r);
      // The pricing domain's list of charged images, for the ids not stored here: its cached price
      // book outside a transaction, else (read-only, ids only) the table as the transaction sees it.
      const missing = chunk.filter((id) => !images.has(id));
      if (missing.length === 0) continue;
      const found = opts.em
        ? (await em.find(ChargedImageEntity, { where: { imageId: In(missing) }, select: { imageId: true } })).map((c) => c.imageId)
        : await this.pricing.books.chargedImageIds(missing);
      for (const id of found) charged.add(id);
    }
    const unknown: string[] = [];
    const foreign: string[] = [];
    for (const id of ids) {
      const img = images.get(id);
      if (img) {
        if (!img.stock && (userId === null || img.ownerUserId !== userId)) foreign.push(id);
      } else if (!charged.has(id)) {
        unknown.push(id);
      }
    }
    return unknown.length === 0 && foreign.length === 0 ? { ok: true } : { ok: false, unknown, foreign };
  }

  /** A signed download path to an original (see ImageUrlSigner). */
  signedUrl(imageId: string, ttlSeconds = DEFAULT_SIGNED_URL_TTL_SECONDS, now = Date.now(), jobId?: string): string {
    return this.urls.signedUrl(imageId, ttlSeconds, now, jobId);
  }

  /** True when `sig` signs this id and expiry and the expiry has not passed (timing-safe). */
  verifySignature(imageId: string, exp: unknown, sig: unknown, now = Date.now()): boolean {
    return this.urls.check(imageId, exp, sig, now) === "ok";
  }

  // --- internals --------------------------------------------------------------------------------

  private async mayView(ctx: RequestContext, image: ImageEntity): Promise<boolean> {
    const rule = imageReadRule(ctx.auth, image);
    return rule === "yes" || (rule === "if-in-admin-scope" && (await this.orders.imageInAdminScope(ctx, image.id)));
  }

  /** People upload; labs and anonymous callers do not; stock images are for center admins. Returns the owner. */
  private requireUploader(auth: Auth, stock: boolean): string | null {
    if (auth.kind === "anonymous") throw new ImageError(401, "UNAUTHENTICATED", "Send Authorization: Bearer <token> to upload an image");
    if (auth.kind !== "user") throw new ImageError(403, "FORBIDDEN", "Labs do not upload images");
    if (stock) {
      if (auth.user.role !== Role.CENTER_ADMIN) throw new ImageError(403, "FORBIDDEN", "Only center admins store stock images");
      return null;
    }
    return auth.user.id;
  }

  /** Decodes the spooled image once: its pixel size, and its thumbnail (which proves it whole). */
  private async inspect(s: Spooled): Promise<{ width: number; height: number; thumbnail: Buffer }> {
    const name = TYPE_NAMES[s.type];
    let meta: sharp.Metadata;
    try {
      // The header alone (no pixels are decoded here), read without the pixel limit so that an
      // image over it is named as such (TOO_MANY_PIXELS) rather than as a damaged header.
      meta = await sharp(s.file, { ...this.decodeOptions(), limitInputPixels: false }).metadata();
    } catch (e) {
      this.app.logger.info({ err: e }, "undecodable image header");
      throw new ImageError(422, "INVALID_IMAGE", `The ${name} image cannot be decoded: its header is damaged or incomplete`);
    }
    if (meta.format !== SHARP_FORMATS[s.type] || !meta.width || !meta.height) {
      throw new ImageError(422, "INVALID_IMAGE", `The body starts like a ${name} image but cannot be read as one`);
    }
    if (meta.width * meta.height > this.maxPixels) {
      throw new ImageError(422, "TOO_MANY_PIXELS", `The image has ${meta.width} x ${meta.height} pixels; at most ${this.maxPixels} pixels are accepted`);
    }
    let thumbnail: Buffer;
    try {
      thumbnail = await thumbnailPipeline(sharp(s.file, this.decodeOptions())).toBuffer();
    } catch (e) {
      this.app.logger.info({ err: e }, "undecodable image data");
      throw new ImageError(422, "INVALID_IMAGE", `The ${name} image cannot be decoded: its data is damaged or truncated`);
    }
    return { width: meta.width, height: meta.height, thumbnail };
  }

  private decodeOptions(): sharp.SharpOptions {
    // "error" refuses truncated and corrupt pixel data; "warning" would also refuse ordinary files
    // with harmless quirks (an odd ICC profile, trailing bytes).
    return { failOn: "error", limitInputPixels: this.maxPixels, sequentialRead: true };
  }

  /** Runs a decode when the gate lets it; 503 BUSY (Retry-After) when its queue is full. */
  private async gated<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.decodes.acquire();
    if (!release) throw new ImageError(503, "BUSY", "Too many images are being decoded right now; try again shortly", 1);
    try {
      return await work();
    } finally {
      release();
    }
  }

  private async loadOrMakeThumbnail(image: ImageEntity, make: () => Promise<Buffer>): Promise<Buffer> {
    const key = thumbnailKey(image.storageKey);
    if (await this.store.exists(key)) return readAll(this.store.get(key));
    return make();
  }

  private async makeThumbnail(image: ImageEntity): Promise<Buffer> {
    const key = thumbnailKey(image.storageKey);
    const maker = thumbnailPipeline(sharp(this.decodeOptions()));
    const source = this.store.get(image.storageKey);
    source.on("error", (e) => maker.destroy(e));
    source.pipe(maker);
    let jpeg: Buffer;
    try {
      jpeg = await maker.toBuffer();
    } catch (e) {
      this.app.logger.error({ err: e, imageId: image.id }, "could not make a thumbnail");
      throw new ImageError(500, "STORAGE_ERROR", `The thumbnail of image ${image.id} cannot be made`);
    }
    await this.store.put(key, Readable.from([jpeg])).catch((e) => this.app.logger.warn({ err: e, key }, "could not cache a thumbnail"));
    return jpeg;
  }

  /** Inserts the row; for a stock image, replaces an earlier stock image of that id. */
  private async record(row: ImageEntity): Promise<{ created: boolean; replacedKey: string | null }> {
    // Even a single insert goes through withTransaction: on SQLite the one connection is shared, and
    // a statement outside the queue would land inside whatever transaction is open at that moment.
    return withTransaction(this.app.ds, async (em) => {
      if (!row.stock) {
        await em.getRepository(ImageEntity).insert(row);
        return { created: true, replacedKey: null };
      }
      // On MariaDB the locking read also locks the gap of a missing id, so two admins storing a new
      // id at once end in a deadlock that withTransaction retries (the second then replaces).
      const qb = em.getRepository(ImageEntity).createQueryBuilder("i").where("i.id = :id", { id: row.id });
      lockForUpdate(qb, this.app.ds);
      const existing = await qb.getOne();
      if (existing && !existing.stock) throw idTaken(row.id);
      if (!existing) {
        await em.getRepository(ImageEntity).insert(row);
        return { created: true, replacedKey: null };
      }
      const { id: _id, ...changes } = row;
      await em.getRepository(ImageEntity).update({ id: existing.id }, changes);
      row.id = existing.id;
      return { created: false, replacedKey: existing.storageKey };
    });
  }

  /** Removes an object and its thumbnail once no row names them (best effort: a leftover is only space). */
  private async forget(key: string): Promise<void> {
    for (const k of [key, thumbnailKey(key)]) {
      await this.store.delete(k).catch((e) => this.app.logger.warn({ err: e, key: k }, "could not remove a replaced image object"));
    }
  }
}

function checkStockId(id: string): void {
  if (!IMAGE_ID_PATTERN.test(id)) {
    throw new ImageError(
      400,
      "INVALID_ID",
      `An image id is 1 to 64 characters of A-Z, a-z, 0-9, ".", "_" and "-", not starting with "."; got ${JSON.stringify(id.slice(0, 80))}`,
    );
  }
}

function newImageId(): string {
  return "IMG-" + randomBytes(10).toString("hex").toUpperCase();
}

/** `ab/cd/<id>[.<version>]`: two levels of 256 folders from a hash of the id keep folders small. */
function storageKey(id: string, version?: string): string {
  const h = createHash("sha256").update(id).digest("hex");
  return `${h.slice(0, 2)}/${h.slice(2, 4)}/${id}${version ? `.${version}` : ""}`;
}

function thumbnailKey(key: string): string {
  return `${key}.thumb.jpg`;
}

function thumbnailPipeline(img: sharp.Sharp): sharp.Sharp {
  return img
    .autoOrient()
    .resize({ width: THUMBNAIL_MAX_SIDE, height: THUMBNAIL_MAX_SIDE, fit: "inside", withoutEnlargement: true })
    .flatten({ background: "#ffffff" })
    .jpeg({ quality: 80 });
}

function quotaError(r: QuotaRefusal): ImageError {
  return new ImageError(429, r.code, r.message, r.retryAfterSeconds);
}

function idTaken(id: string): ImageError {
  return new ImageError(409, "IMAGE_ID_TAKEN", `Image ${id} is a customer's image; a stock image cannot replace it`);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
