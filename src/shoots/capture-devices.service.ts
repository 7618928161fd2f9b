/**
 * Capture devices (seed 002's imaging apparatuses): registered to a shop by its admins, each with a
 * key of its own, shown once. The key is `pmc_<device id>_<43 random characters>`: its id part finds
 * the row by primary key, and only the key's keyed hash (under the center's key secret) is stored.
 * A revoked device is refused from the next file it sends, whatever transport it uses.
 */
import { randomBytes } from "node:crypto";
import { IsNull } from "typeorm";
import { forbidden, RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import { checkName } from "../common/catalog-checks";
import type { AttemptCounter, RateLimits } from "../common/rate-limits";
import type { AppContext, RequestContext } from "../core/request-context";
import { inTransaction, type Outcome } from "../core/unit-of-work";
import { ShopEntity } from "../catalog/shop.entity";
import { keyedKeyHash, verifyKeyedKeyHash } from "../identity/passwords";
import { managesShop } from "../identity/scope";
import { CaptureDeviceEntity } from "./capture-device.entity";

const DEVICE_KEY_RE = /^pmc_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;
const DEVICE_ID_RE = /^[0-9a-f]{16}$/;
/** Devices in use (not revoked) per shop: a shop has a handful; this bounds what one admin can make. */
export const MAX_ACTIVE_DEVICES_PER_SHOP = 100;

/** What a device's credential was found to be. */
export type DeviceCheck =
  { ok: true; device: CaptureDeviceEntity } | { ok: false; reason: "invalid" } | { ok: false; reason: "limited"; retryAfterSeconds: number };

export interface IssuedDevice {
  device: CaptureDeviceEntity;
  key: string;
}

export class CaptureDevicesService {
  /** Bad device keys per address (HTTP and FTP alike). */
  private readonly badKeys: AttemptCounter;

  constructor(
    private readonly app: AppContext,
    limits: RateLimits,
  ) {
    this.badKeys = limits.counter("capture-keys", { points: app.config.badKeyRateLimit.attempts, windowSeconds: app.config.badKeyRateLimit.windowSeconds });
  }

  async create(ctx: RequestContext, shopId: string, name: string): Promise<Outcome<IssuedDevice>> {
    return inTransaction(ctx, async (tx) => {
      const errors: UserErrorData[] = [];
      const cleanName = checkName(name, ["name"], errors);
      const shop = await tx.em.findOne(ShopEntity, { where: { id: shopId }, select: { id: true } });
      if (!shop || shop.id !== shopId) errors.push(userError("NOT_FOUND", `No shop ${shopId}`, ["shopId"]));
      if (errors.length > 0) throw new RollbackWithErrors(errors);
      if (!(await managesShop(ctx, tx.em, shopId))) throw forbidden(`Shop ${shopId} is not one you administer`);
      const active = await tx.em.count(CaptureDeviceEntity, { where: { shopId, revokedAt: IsNull() } });
      if (active >= MAX_ACTIVE_DEVICES_PER_SHOP) {
        throw new RollbackWithErrors([
          userError("TOO_MANY_DEVICES", `Shop ${shopId} has ${active} capture devices in use, the most a shop may have; revoke one first`, ["shopId"]),
        ]);
      }
      const id = randomBytes(8).toString("hex");
      const key = `pmc_${id}_${randomBytes(32).toString("base64url")}`;
      const device = Object.assign(new CaptureDeviceEntity(), {
        id,
        shopId,
        name: cleanName!,
        hash: keyedKeyHash(this.app.config.keyHashSecret, key),
        createdAt: new Date(),
        revokedAt: null,
      });
      await tx.em.insert(CaptureDeviceEntity, device);
      return { device, key };
    });
  }

  /** Revokes a device: every later file it sends is refused, on every transport. Revoking twice is no error. */
  async revoke(ctx: RequestContext, id: string): Promise<Outcome<CaptureDeviceEntity>> {
    return inTransaction(ctx, async (tx) => {
      const device = DEVICE_ID_RE.test(id) ? await tx.em.findOne(CaptureDeviceEntity, { where: { id } }) : null;
      if (!device) throw new RollbackWithErrors([userError("NOT_FOUND", `No capture device ${id}`, ["id"])]);
      if (!(await managesShop(ctx, tx.em, device.shopId))) throw forbidden(`Capture device ${id} is not one of your shop's`);
      if (device.revokedAt === null) {
        device.revokedAt = new Date();
        await tx.em.update(CaptureDeviceEntity, { id }, { revokedAt: device.revokedAt });
      }
      return device;
    });
  }

  /** The devices of a shop the caller administers, oldest first. */
  async list(ctx: RequestContext, shopId: string): Promise<CaptureDeviceEntity[]> {
    if (!(await managesShop(ctx, this.app.ds.manager, shopId))) throw forbidden(`Shop ${shopId} is not one you administer`);
    return this.app.ds.getRepository(CaptureDeviceEntity).find({ where: { shopId }, order: { createdAt: "ASC", id: "ASC" } });
  }

  /** The device of a bearer key (HTTP uploads). Bad keys are counted per address. */
  async checkKey(key: string, ip: string): Promise<DeviceCheck> {
    const m = DEVICE_KEY_RE.exec(key);
    return this.check(m ? m[1] : null, key, ip);
  }

  /** The device of an FTP login: its id as the user, its key as the password. */
  async checkLogin(deviceId: string, key: string, ip: string): Promise<DeviceCheck> {
    const m = DEVICE_KEY_RE.exec(key);
    return this.check(m && m[1] === deviceId ? deviceId : null, key, ip);
  }

  /** The device as stored now, if it is still valid (not revoked): asked before every file. */
  async current(deviceId: string): Promise<CaptureDeviceEntity | null> {
    const device = await this.app.ds.getRepository(CaptureDeviceEntity).findOne({ where: { id: deviceId } });
    return device && device.revokedAt === null ? device : null;
  }

  private async check(id: string | null, key: string, ip: string): Promise<DeviceCheck> {
    if (await this.badKeys.spent(ip)) {
      const take = await this.badKeys.take(ip);
      return { ok: false, reason: "limited", retryAfterSeconds: take.ok ? 1 : take.retryAfterSeconds };
    }
    const device = id === null ? null : await this.app.ds.getRepository(CaptureDeviceEntity).findOne({ where: { id } });
    if (!device || device.revokedAt !== null || !verifyKeyedKeyHash(this.app.config.keyHashSecret, device.hash, key)) {
      await this.badKeys.count(ip);
      return { ok: false, reason: "invalid" };
    }
    return { ok: true, device };
  }
}
