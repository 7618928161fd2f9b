/**
 * Shoots (seed 002): an event or a studio session of one shop, made by the shop's admins (and its
 * group's, and center admins), with the lab that prints its first prints and the last day its images
 * may be seen and reordered. Admins read the shoots of their scope and their images, a page at a time.
 */
import { randomBytes } from "node:crypto";
import { Brackets } from "typeorm";
import { badInput, forbidden, notFound, RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import { checkName } from "../common/catalog-checks";
import type { RequestContext } from "../core/request-context";
import { inTransaction, type Outcome } from "../core/unit-of-work";
import { MAX_FIRST } from "../core/pagination";
import { ShopEntity } from "../catalog/shop.entity";
import { LabEntity } from "../labs/lab.entity";
import { businessDate } from "../pricing/business-date";
import { adminGroupId, adminShopId, isCenterAdmin, managesShop } from "../identity/scope";
import { ShootEntity } from "./shoot.entity";
import { ShootImageEntity } from "./shoot-image.entity";

export interface NewShoot {
  shopId: string;
  name: string;
  firstPrintLabId?: string | null;
  availableUntil?: string | null;
}

/** Whether a shoot's images may still be seen, reordered and uploaded to, on `today` (its business date). */
export function shootOpen(shoot: Pick<ShootEntity, "availableUntil" | "retiredAt">, today: string): boolean {
  return shoot.retiredAt === null && (shoot.availableUntil === null || shoot.availableUntil >= today);
}

export class ShootsService {
  async create(ctx: RequestContext, input: NewShoot): Promise<Outcome<ShootEntity>> {
    return inTransaction(ctx, async (tx) => {
      const errors: UserErrorData[] = [];
      const name = checkName(input.name, ["input", "name"], errors);
      const shop = await tx.em.findOne(ShopEntity, { where: { id: input.shopId }, select: { id: true } });
      if (!shop || shop.id !== input.shopId) throw new RollbackWithErrors([userError("NOT_FOUND", `No shop ${input.shopId}`, ["input", "shopId"])]);
      if (!(await managesShop(ctx, tx.em, input.shopId))) throw forbidden(`Shop ${input.shopId} is not one you administer`);
      const today = businessDate(new Date(), ctx.app.config.businessTimeZone);
      if (input.availableUntil != null && input.availableUntil < today) {
        errors.push(userError("INVALID_DATE", `availableUntil (${input.availableUntil}) is before today (${today})`, ["input", "availableUntil"]));
      }
      const lab = await this.firstPrintLab(tx.em, input, errors);
      if (errors.length > 0 || !lab) throw new RollbackWithErrors(errors);
      const shoot = Object.assign(new ShootEntity(), {
        id: `SH-${randomBytes(6).toString("hex").toUpperCase()}`,
        shopId: input.shopId,
        name: name!,
        firstPrintLabId: lab.id,
        availableUntil: input.availableUntil ?? null,
        imageCount: 0,
        retirementNoticedAt: null,
        retiredAt: null,
        createdBy: ctx.auth.kind === "user" ? ctx.auth.user.id : "",
        createdAt: new Date(),
      });
      await tx.em.insert(ShootEntity, shoot);
      return shoot;
    });
  }

  /** A shoot the caller administers; null when there is none with this id; FORBIDDEN when another's. */
  async get(ctx: RequestContext, id: string): Promise<ShootEntity | null> {
    const shoot = await ctx.app.ds.getRepository(ShootEntity).findOne({ where: { id } });
    if (!shoot || shoot.id !== id) return null;
    if (!(await managesShop(ctx, ctx.app.ds.manager, shoot.shopId))) throw forbidden(`Shoot ${id} is not one of your shops'`);
    return shoot;
  }

  /** The shoots of the caller's scope (of one shop with `shopId`), newest first, a page at a time. */
  async list(
    ctx: RequestContext,
    shopId: string | null,
    args: { first: number; after: string | null },
  ): Promise<{ rows: ShootEntity[]; hasNextPage: boolean }> {
    checkFirst(args.first);
    const qb = ctx.app.ds.getRepository(ShootEntity).createQueryBuilder("s");
    if (shopId !== null) qb.andWhere("s.shop_id = :shopId", { shopId });
    if (!isCenterAdmin(ctx)) {
      const shop = adminShopId(ctx);
      const group = adminGroupId(ctx);
      if (shop !== null) qb.andWhere("s.shop_id = :own", { own: shop });
      else if (group !== null) qb.andWhere("s.shop_id IN (SELECT id FROM shops WHERE shop_group_id = :group)", { group });
      else return { rows: [], hasNextPage: false };
    }
    if (args.after !== null) {
      const c = decodeAfter(args.after);
      qb.andWhere(new Brackets((w) => w.where("s.created_at < :t", { t: c.t }).orWhere("s.created_at = :t AND s.id < :id", { t: c.t, id: c.id })));
    }
    const rows = await qb
      .orderBy("s.created_at", "DESC")
      .addOrderBy("s.id", "DESC")
      .take(args.first + 1)
      .getMany();
    return { rows: rows.slice(0, args.first), hasNextPage: rows.length > args.first };
  }

  /** A shoot's images, oldest first, a page at a time (`after`: the id of the last image seen). */
  async images(ctx: RequestContext, shootId: string, args: { first: number; after: string | null }): Promise<ShootImageEntity[]> {
    checkFirst(args.first);
    const shoot = await this.get(ctx, shootId);
    if (!shoot) throw notFound(`No shoot ${shootId}`);
    const qb = ctx.app.ds.getRepository(ShootImageEntity).createQueryBuilder("i").where("i.shoot_id = :shootId", { shootId });
    if (args.after !== null) {
      const last = await ctx.app.ds.getRepository(ShootImageEntity).findOne({ where: { imageId: args.after, shootId } });
      if (!last) throw badInput(`after must be the id of an image of shoot ${shootId}`, ["after"]);
      const c = { t: last.createdAt.getTime(), id: last.imageId };
      qb.andWhere(new Brackets((w) => w.where("i.created_at > :t", { t: c.t }).orWhere("i.created_at = :t AND i.image_id > :id", { t: c.t, id: c.id })));
    }
    return qb.orderBy("i.created_at", "ASC").addOrderBy("i.image_id", "ASC").take(args.first).getMany();
  }

  /**
   * The named lab (a lab of the shop, enabled), or by default the shop's best lab for prints on
   * the spot: an enabled lab that hands prints over at the counter, the largest capacity first.
   */
  private async firstPrintLab(em: RequestContext["app"]["ds"]["manager"], input: NewShoot, errors: UserErrorData[]): Promise<LabEntity | null> {
    if (input.firstPrintLabId != null) {
      const lab = await em.findOne(LabEntity, { where: { id: input.firstPrintLabId } });
      if (!lab || lab.id !== input.firstPrintLabId) {
        errors.push(userError("NOT_FOUND", `No lab ${input.firstPrintLabId}`, ["input", "firstPrintLabId"]));
        return null;
      }
      if (lab.shopId !== input.shopId) {
        errors.push(userError("NOT_SHOP_LAB", `Lab ${lab.id} is not a lab of shop ${input.shopId}`, ["input", "firstPrintLabId"]));
        return null;
      }
      if (lab.disabled) {
        errors.push(userError("LAB_DISABLED", `Lab ${lab.id} is disabled`, ["input", "firstPrintLabId"]));
        return null;
      }
      return lab;
    }
    const labs = await em.find(LabEntity, { where: { shopId: input.shopId, disabled: false }, order: { capacitySheetsPerHour: "DESC", id: "ASC" } });
    const best = labs.find((l) => l.fulfilment.split(",").includes("PICKUP")) ?? labs[0];
    if (!best) errors.push(userError("NO_LAB", `Shop ${input.shopId} has no enabled lab to print first prints`, ["input", "firstPrintLabId"]));
    return best ?? null;
  }
}

/** The cursor of a shoot or a shoot image: its instant and id. */
export function shootCursor(at: Date, id: string): string {
  return Buffer.from(`${at.getTime()}:${id}`).toString("base64url");
}

function decodeAfter(after: string): { t: number; id: string } {
  const m = /^(\d{1,15}):([A-Za-z0-9._-]{1,64})$/.exec(Buffer.from(after, "base64url").toString());
  if (!m) throw badInput("The cursor is not one this server made", ["after"]);
  return { t: Number(m[1]), id: m[2] };
}

function checkFirst(first: number): void {
  if (!Number.isInteger(first) || first < 1 || first > MAX_FIRST) throw badInput(`first must be 1 to ${MAX_FIRST}`, ["first"]);
}
