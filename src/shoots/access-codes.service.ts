/**
 * Access codes (seed 002): a code shows a customer the images of one subject of a shoot (or the
 * whole shoot) so that they can see them and reorder prints. The code is the credential: the
 * gallery is open to anyone holding one, and so only the code's keyed hash is stored (under the
 * center's key secret), guesses are counted per address, and an unknown, expired or closed code
 * answers the same null. Codes are made one at a time, or one per subject of a shoot at once (the
 * list a shop prints on cards).
 */
import { Brackets, In, type EntityManager } from "typeorm";
import { badInput, codedError, forbidden, RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import type { AttemptCounter, RateLimits } from "../common/rate-limits";
import { HttpRefusal } from "../core/http-refusal";
import { decodeCursor, encodeCursor, MAX_FIRST, type Connection } from "../core/pagination";
import type { AppContext, RequestContext } from "../core/request-context";
import { inTransaction, type Outcome } from "../core/unit-of-work";
import { forUpdate } from "../db/locks";
import { keyedKeyHash } from "../identity/passwords";
import { managesShop } from "../identity/scope";
import { businessDate } from "../pricing/business-date";
import { groupCode, newAccessCode, normaliseAccessCode } from "./access-code-format";
import { AccessCodeEntity } from "./access-code.entity";
import { cleanSubject } from "./shoot-ingest.service";
import { ShootEntity } from "./shoot.entity";
import { ShootImageEntity } from "./shoot-image.entity";
import { shootOpen } from "./shoots.service";

/** The most codes one bulk call makes (a list someone prints); a shoot with more subjects is refused. */
export const MAX_BULK_CODES = 5000;
/** The most images `gallery` lists; a larger gallery is read a page at a time (`galleryImages`). */
export const GALLERY_IMAGE_LIMIT = 500;
/** Rows per INSERT statement of a bulk call (well under every engine's bound on parameters). */
const INSERT_CHUNK = 100;

export interface NewAccessCode {
  shootId: string;
  subject?: string | null;
  expiresAt?: Date | null;
}

/** A code as made: the code itself is in this answer only. */
export interface IssuedCode {
  code: string;
  shootId: string;
  subject: string | null;
  expiresAt: Date | null;
}

export interface GalleryImageView {
  imageId: string;
  thumbnailUrl: string;
  thumbnailExpiresAt: Date;
  width: number;
  height: number;
}

export interface GalleryView {
  shoot: ShootEntity;
  subject: string | null;
  images: GalleryImageView[];
  /** More images than `images` holds: read them with galleryImages. */
  hasMoreImages: boolean;
}

/** What the gallery needs of the images domain's link signer (the composition root hands it over). */
export interface ThumbnailLinks {
  /** How long a link holds, in seconds. */
  readonly ttlSeconds: number;
  /** A path to the image's thumbnail, signed for `ttlSeconds` from `now`, that needs no session. */
  signedThumbnailUrl(imageId: string, ttlSeconds: number, now: number): string;
}

/** What one of a reorder's access codes opened, or why it opened nothing. */
export type ReorderCode =
  | { ok: true; shoot: ShootEntity; subject: string | null }
  | { ok: false; reason: "UNKNOWN" | "EXPIRED" }
  | { ok: false; reason: "CLOSED"; shoot: ShootEntity; subject: string | null };

/** What a code opened: its row and its shoot. */
interface Opened {
  code: AccessCodeEntity;
  shoot: ShootEntity;
}

export class AccessCodesService {
  /** Gallery look-ups per address that found nothing; an address over it is refused every look-up until the window ends. */
  private readonly guesses: AttemptCounter;

  constructor(
    private readonly app: AppContext,
    limits: RateLimits,
    private readonly urls: ThumbnailLinks,
  ) {
    this.guesses = limits.counter("access-codes", {
      points: app.config.accessCodeRateLimit.attempts,
      windowSeconds: app.config.accessCodeRateLimit.windowSeconds,
    });
  }

  /** A code for one subject of a shoot, or the whole shoot; by admins of the shoot's shop. */
  async create(ctx: RequestContext, input: NewAccessCode): Promise<Outcome<IssuedCode>> {
    return inTransaction(ctx, async (tx) => {
      const shoot = await this.adminShoot(ctx, tx.em, input.shootId, ["input", "shootId"], false);
      const errors: UserErrorData[] = [];
      const expiresAt = this.checkExpiry(input.expiresAt ?? null, ["input", "expiresAt"], errors);
      let subject: string | null = null;
      try {
        subject = cleanSubject(input.subject);
      } catch (e) {
        if (!(e instanceof HttpRefusal)) throw e;
        errors.push(userError(e.code, e.message, ["input", "subject"]));
      }
      if (errors.length > 0) throw new RollbackWithErrors(errors);
      const [issued] = await this.insert(ctx, tx.em, shoot.id, [subject], expiresAt);
      return issued;
    });
  }

  /**
   * One code for every subject of the shoot's images that has none yet, in one transaction, sorted
   * by subject (numbers in their order): the list to print on cards. Calling again makes codes
   * only for subjects tagged since. More than MAX_BULK_CODES new codes at once: TOO_MANY_SUBJECTS.
   */
  async createForSubjects(ctx: RequestContext, shootId: string, expiresAt: Date | null): Promise<Outcome<IssuedCode[]>> {
    return inTransaction(ctx, async (tx) => {
      // Locked, so that two bulk calls for one shoot do not both make codes for the same subjects.
      const shoot = await this.adminShoot(ctx, tx.em, shootId, ["shootId"], true);
      const errors: UserErrorData[] = [];
      const expiry = this.checkExpiry(expiresAt, ["expiresAt"], errors);
      if (errors.length > 0) throw new RollbackWithErrors(errors);
      // Subjects as stored, byte for byte: MariaDB's collation would fold "a1" and "A1" into one.
      const tagged = await tx.em
        .createQueryBuilder(ShootImageEntity, "i")
        .select("DISTINCT HEX(i.subject)", "h")
        .where("i.shoot_id = :shootId AND i.subject IS NOT NULL", { shootId: shoot.id })
        .getRawMany<{ h: string }>();
      const coded = await tx.em.find(AccessCodeEntity, { where: { shootId: shoot.id }, select: { id: true, subject: true } });
      const have = new Set(coded.map((c) => c.subject));
      const subjects = tagged
        .map((r) => Buffer.from(r.h, "hex").toString("utf8"))
        .filter((s) => !have.has(s))
        .sort((a, b) => a.localeCompare(b, "en", { numeric: true }) || (a < b ? -1 : a > b ? 1 : 0));
      if (subjects.length > MAX_BULK_CODES) {
        throw new RollbackWithErrors([
          userError("TOO_MANY_SUBJECTS", `Shoot ${shoot.id} has ${subjects.length} subjects without a code; at most ${MAX_BULK_CODES} at once`, ["shootId"]),
        ]);
      }
      return this.insert(ctx, tx.em, shoot.id, subjects, expiry);
    });
  }

  /**
   * What a code shows: the shoot and its first GALLERY_IMAGE_LIMIT images (of the code's subject),
   * oldest first, each with a signed thumbnail link. Null for an unknown or expired code, and for a
   * shoot past its last day or retired. Anyone may ask; each null answer counts against the
   * caller's address, and an address over ACCESS_CODE_RATE_LIMIT is refused (RATE_LIMITED).
   */
  async gallery(ctx: RequestContext, typed: string): Promise<GalleryView | null> {
    const opened = await this.open(ctx, typed);
    if (!opened) return null;
    const rows = await this.imagesQuery(opened)
      .take(GALLERY_IMAGE_LIMIT + 1)
      .getMany();
    const shown = rows.filter((r) => this.shows(opened, r));
    return {
      shoot: opened.shoot,
      subject: opened.code.subject,
      images: shown.slice(0, GALLERY_IMAGE_LIMIT).map((r) => this.view(r)),
      hasMoreImages: rows.length > GALLERY_IMAGE_LIMIT,
    };
  }

  /** The same images a page at a time (oldest first); null where gallery is null. */
  async galleryImages(ctx: RequestContext, typed: string, args: { first: number; after: string | null }): Promise<Connection<GalleryImageView> | null> {
    if (!Number.isInteger(args.first) || args.first < 1 || args.first > MAX_FIRST) throw badInput(`first must be 1 to ${MAX_FIRST}`, ["first"]);
    const after = args.after === null ? null : decodeCursor(args.after);
    if (args.after !== null && !after) throw badInput("The cursor is not one this server made", ["after"]);
    const opened = await this.open(ctx, typed);
    if (!opened) return null;
    const qb = this.imagesQuery(opened);
    if (after) {
      qb.andWhere(
        new Brackets((w) => w.where("i.created_at > :t", { t: after.t }).orWhere("i.created_at = :t AND i.image_id > :id", { t: after.t, id: after.id })),
      );
    }
    const rows = await qb.take(args.first + 1).getMany();
    const page = rows.slice(0, args.first);
    const edges = page.filter((r) => this.shows(opened, r)).map((r) => ({ cursor: encodeCursor(r.createdAt, r.imageId), node: this.view(r) }));
    const last = page.at(-1);
    return { edges, pageInfo: { hasNextPage: rows.length > args.first, endCursor: last ? encodeCursor(last.createdAt, last.imageId) : null } };
  }

  /**
   * What a reorder's access codes open, code by code (each look-up counts against the caller's
   * address as a gallery's does; a code that opens is given back): its shoot and subject, or why
   * not (UNKNOWN, EXPIRED, CLOSED: the shoot is past its last day or its images are retired); and,
   * for the image ids asked about, the index of a code that shows each one (an open code first; a
   * CLOSED code's images are named too, so that the caller can say they are retired).
   */
  async forReorder(ctx: RequestContext, typed: string[], imageIds: string[]): Promise<{ codes: ReorderCode[]; shownBy: Map<string, number> }> {
    const codes: ReorderCode[] = [];
    for (const t of typed) {
      const take = await this.guesses.take(ctx.ip);
      if (!take.ok) {
        throw codedError("RATE_LIMITED", `Too many unknown access codes from this address; try again in ${take.retryAfterSeconds} s`, {
          retryAfterSeconds: take.retryAfterSeconds,
        });
      }
      const normalised = normaliseAccessCode(t);
      const code =
        normalised === null
          ? null
          : await this.app.ds.getRepository(AccessCodeEntity).findOne({ where: { id: keyedKeyHash(this.app.config.keyHashSecret, normalised) } });
      const shoot = code ? await this.app.ds.getRepository(ShootEntity).findOne({ where: { id: code.shootId } }) : null;
      if (!code || !shoot) {
        codes.push({ ok: false, reason: "UNKNOWN" });
        continue;
      }
      await this.guesses.giveBack(ctx.ip);
      if (code.expiresAt !== null && code.expiresAt.getTime() <= Date.now()) codes.push({ ok: false, reason: "EXPIRED" });
      else if (!shootOpen(shoot, businessDate(new Date(), this.app.config.businessTimeZone)))
        codes.push({ ok: false, reason: "CLOSED", shoot, subject: code.subject });
      else codes.push({ ok: true, shoot, subject: code.subject });
    }
    const shownBy = new Map<string, number>();
    const ids = [...new Set(imageIds)];
    const shootIds = [...new Set(codes.flatMap((c) => ("shoot" in c ? [c.shoot.id] : [])))];
    if (ids.length > 0 && shootIds.length > 0) {
      const rows = await this.app.ds.getRepository(ShootImageEntity).find({ where: { imageId: In(ids), shootId: In(shootIds) } });
      for (const r of rows) {
        // Exactly the code's subject (MariaDB's comparison ignores case; a subject's case is part of it).
        const shows = (c: ReorderCode) => "shoot" in c && c.shoot.id === r.shootId && (c.subject === null || c.subject === r.subject);
        const open = codes.findIndex((c) => c.ok && shows(c));
        const i = open >= 0 ? open : codes.findIndex(shows);
        if (i >= 0 && ids.includes(r.imageId)) shownBy.set(r.imageId, i);
      }
    }
    return { codes, shownBy };
  }

  /** The code's row and shoot if the code opens a gallery now; guesses counted per address. */
  private async open(ctx: RequestContext, typed: string): Promise<Opened | null> {
    // Counted before it is looked up (so a burst of guesses cannot all pass one reading of the
    // count), and given back when the code opened a gallery: only failed look-ups add up.
    const take = await this.guesses.take(ctx.ip);
    if (!take.ok) {
      throw codedError("RATE_LIMITED", `Too many unknown access codes from this address; try again in ${take.retryAfterSeconds} s`, {
        retryAfterSeconds: take.retryAfterSeconds,
      });
    }
    const opened = await this.find(typed);
    if (opened) await this.guesses.giveBack(ctx.ip);
    return opened;
  }

  private async find(typed: string): Promise<Opened | null> {
    const normalised = normaliseAccessCode(typed);
    if (normalised === null) return null;
    const id = keyedKeyHash(this.app.config.keyHashSecret, normalised);
    const code = await this.app.ds.getRepository(AccessCodeEntity).findOne({ where: { id } });
    if (!code || (code.expiresAt !== null && code.expiresAt.getTime() <= Date.now())) return null;
    const shoot = await this.app.ds.getRepository(ShootEntity).findOne({ where: { id: code.shootId } });
    if (!shoot || !shootOpen(shoot, businessDate(new Date(), this.app.config.businessTimeZone))) return null;
    return { code, shoot };
  }

  private imagesQuery(opened: Opened) {
    const qb = this.app.ds.getRepository(ShootImageEntity).createQueryBuilder("i").where("i.shoot_id = :shootId", { shootId: opened.shoot.id });
    if (opened.code.subject !== null) qb.andWhere("i.subject = :subject", { subject: opened.code.subject });
    return qb.orderBy("i.created_at", "ASC").addOrderBy("i.image_id", "ASC");
  }

  /** Exactly the code's subject (MariaDB's comparison ignores case; a subject's case is part of it). */
  private shows(opened: Opened, row: ShootImageEntity): boolean {
    return opened.code.subject === null || row.subject === opened.code.subject;
  }

  private view(row: ShootImageEntity): GalleryImageView {
    const now = Date.now();
    return {
      imageId: row.imageId,
      thumbnailUrl: this.urls.signedThumbnailUrl(row.imageId, this.urls.ttlSeconds, now),
      thumbnailExpiresAt: new Date((Math.floor(now / 1000) + this.urls.ttlSeconds) * 1000),
      width: row.width,
      height: row.height,
    };
  }

  /** The shoot, if the caller administers its shop (else FORBIDDEN) and it is still open (else SHOOT_CLOSED). */
  private async adminShoot(ctx: RequestContext, em: EntityManager, shootId: string, field: string[], lock: boolean): Promise<ShootEntity> {
    const shoot = /^[A-Za-z0-9._-]{1,64}$/.test(shootId) ? await em.findOne(ShootEntity, { where: { id: shootId }, ...(lock ? forUpdate(em) : {}) }) : null;
    if (!shoot || shoot.id !== shootId) throw new RollbackWithErrors([userError("NOT_FOUND", `No shoot ${shootId}`, field)]);
    if (!(await managesShop(ctx, em, shoot.shopId))) throw forbidden(`Shoot ${shootId} is not one of your shops'`);
    if (!shootOpen(shoot, businessDate(new Date(), ctx.app.config.businessTimeZone))) {
      throw new RollbackWithErrors([userError("SHOOT_CLOSED", `Shoot ${shootId} is past its last day or retired: a code would show nothing`, field)]);
    }
    return shoot;
  }

  private checkExpiry(expiresAt: Date | null, field: string[], errors: UserErrorData[]): Date | null {
    if (expiresAt !== null && expiresAt.getTime() <= Date.now()) {
      errors.push(userError("INVALID_DATE", `expiresAt (${expiresAt.toISOString()}) is not in the future`, field));
    }
    return expiresAt;
  }

  /** Makes and stores one code per subject; only their keyed hashes are written. */
  private async insert(ctx: RequestContext, em: EntityManager, shootId: string, subjects: Array<string | null>, expiresAt: Date | null): Promise<IssuedCode[]> {
    const createdBy = ctx.auth.kind === "user" ? ctx.auth.user.id : "";
    const createdAt = new Date();
    const issued: IssuedCode[] = [];
    const rows: AccessCodeEntity[] = [];
    const made = new Set<string>();
    for (const subject of subjects) {
      let code = newAccessCode();
      let id = keyedKeyHash(this.app.config.keyHashSecret, normaliseAccessCode(code)!);
      // 59 bits make a repeat within one list all but impossible; a repeat of a stored code fails the insert (primary key).
      while (made.has(id)) {
        code = newAccessCode();
        id = keyedKeyHash(this.app.config.keyHashSecret, normaliseAccessCode(code)!);
      }
      made.add(id);
      rows.push(Object.assign(new AccessCodeEntity(), { id, shootId, subject, expiresAt, createdBy, createdAt }));
      issued.push({ code: groupCode(normaliseAccessCode(code)!), shootId, subject, expiresAt });
    }
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) await em.insert(AccessCodeEntity, rows.slice(i, i + INSERT_CHUNK));
    return issued;
  }
}
