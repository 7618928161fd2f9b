/**
 * What a capture device sends becomes a shoot image: one way in for every transport (HTTP uploads,
 * FTP). The device must still be valid, the shoot must be its shop's and still open; the bytes get
 * the checks and storage of every upload (images domain), and the same bytes into the same shoot are
 * one image. Refusals are HttpRefusals (the HTTP edge answers them as they are; FTP turns them into
 * its own replies); nothing is stored on a refusal.
 */
import type { Readable } from "node:stream";
import type { EntityManager } from "typeorm";
import { HttpRefusal } from "../core/http-refusal";
import type { AppContext } from "../core/request-context";
import type { ImageEntity } from "../images/image.entity";
import type { ImagesService } from "../images/images.service";
import { businessDate } from "../pricing/business-date";
import { CaptureDeviceEntity } from "./capture-device.entity";
import type { CaptureDevicesService } from "./capture-devices.service";
import { ShootEntity } from "./shoot.entity";
import { ShootImageEntity } from "./shoot-image.entity";
import { shootOpen } from "./shoots.service";

export const MAX_SUBJECT_LENGTH = 100;
const SHOOT_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

export interface CapturedFile {
  shootId: string;
  /** Whom it shows (a bib number, a card's code); null or empty: untagged. */
  subject: string | null;
  body: Readable;
  /** The declared type; null: judged from the bytes (FTP). */
  contentType: string | null;
  declaredBytes?: number;
}

export interface Captured {
  image: ShootImageEntity;
  /** False when the same bytes were already in the shoot. */
  created: boolean;
}

/** A subject as stored: trimmed, 1 to 100 printable characters; null for none. Throws 400 INVALID_SUBJECT. */
export function cleanSubject(raw: string | null | undefined): string | null {
  if (raw == null) return null;
  const s = raw.trim();
  if (s === "") return null;
  // eslint-disable-next-line no-control-regex
  if (s.length > MAX_SUBJECT_LENGTH || /[\u0000-\u001f\u007f/\\]/.test(s)) {
    throw new HttpRefusal(400, "INVALID_SUBJECT", `A subject is 1 to ${MAX_SUBJECT_LENGTH} printable characters without slashes`);
  }
  return s;
}

export class ShootIngestService {
  constructor(
    private readonly app: AppContext,
    private readonly images: ImagesService,
    private readonly devices: CaptureDevicesService,
  ) {}

  /**
   * Stores one file from `deviceId` into its shoot. Checked before any byte is read: the device is
   * still valid (401), the shoot exists (404), is the device's shop's (403) and open (403
   * SHOOT_CLOSED). Checked again as the row is written: the device has not been revoked meanwhile.
   */
  async ingest(deviceId: string, file: CapturedFile): Promise<Captured> {
    const device = await this.devices.current(deviceId);
    if (!device) throw new HttpRefusal(401, "UNAUTHENTICATED", "This capture device's key is not valid (unknown or revoked)");
    const subject = cleanSubject(file.subject);
    const shoot = SHOOT_ID_RE.test(file.shootId) ? await this.app.ds.getRepository(ShootEntity).findOne({ where: { id: file.shootId } }) : null;
    if (!shoot || shoot.id !== file.shootId) throw new HttpRefusal(404, "NOT_FOUND", `No shoot ${file.shootId}`);
    if (shoot.shopId !== device.shopId) throw new HttpRefusal(403, "FORBIDDEN", `Shoot ${shoot.id} is not a shoot of this device's shop`);
    this.assertOpen(shoot);

    const existing = async (sha256: string): Promise<ImageEntity | null> => {
      const hit = await this.app.ds.getRepository(ShootImageEntity).findOne({ where: { shootId: shoot.id, sha256 } });
      return hit ? ({ id: hit.imageId, sha256: hit.sha256, width: hit.width, height: hit.height } as ImageEntity) : null;
    };
    let row: ShootImageEntity | null = null;
    const attach = async (em: EntityManager, image: ImageEntity): Promise<void> => {
      const still = await em.findOne(CaptureDeviceEntity, { where: { id: device.id }, select: { id: true, revokedAt: true } });
      if (!still || still.revokedAt !== null) throw new HttpRefusal(401, "UNAUTHENTICATED", "This capture device was revoked");
      const fresh = await em.findOne(ShootEntity, { where: { id: shoot.id } });
      if (!fresh) throw new HttpRefusal(404, "NOT_FOUND", `No shoot ${shoot.id}`);
      this.assertOpen(fresh);
      row = Object.assign(new ShootImageEntity(), {
        imageId: image.id,
        shootId: shoot.id,
        sha256: image.sha256,
        width: image.width,
        height: image.height,
        subject,
        deviceId: device.id,
        createdAt: image.createdAt,
      });
      await em.insert(ShootImageEntity, row);
      await em.increment(ShootEntity, { id: shoot.id }, "imageCount", 1);
    };
    const { image, created } = await this.images.storeCaptured(file.body, {
      contentType: file.contentType,
      declaredBytes: file.declaredBytes,
      existing,
      attach,
    });
    if (created && row) return { image: row, created: true };
    const known = await this.app.ds.getRepository(ShootImageEntity).findOneOrFail({ where: { imageId: image.id } });
    return { image: known, created: false };
  }

  private assertOpen(shoot: ShootEntity): void {
    const today = businessDate(new Date(), this.app.config.businessTimeZone);
    if (!shootOpen(shoot, today)) {
      throw new HttpRefusal(403, "SHOOT_CLOSED", `Shoot ${shoot.id} takes no more images (available until ${shoot.availableUntil ?? "retired"})`);
    }
  }
}
