/**
 * First prints (seed 002): a shop admin of a shoot's shop (or its group's, or a center admin) orders
 * prints of the shoot's images at the shoot's first-print lab. The order is priced at the shoot's
 * shop by the normal rules, placed and confirmed at once (ASSIGNED at that lab, even where the
 * ranking would pick another) and its print job queued like any order's, in one transaction; the
 * lab's daemon prints it. Only the shoot's own images may be used, and only while the shoot keeps
 * them (IMAGES_RETIRED once it is retired or due to be). The order's customer is the admin who placed
 * it: first prints are the shop's own order, handed over at the event or the counter.
 */
import { In } from "typeorm";
import { forbidden, RollbackWithErrors, userError, type UserErrorData } from "../common/errors";
import type { RequestContext } from "../core/request-context";
import { inTransaction, type Outcome } from "../core/unit-of-work";
import { forUpdate } from "../db/locks";
import { managesShop } from "../identity/scope";
import { LabEntity } from "../labs/lab.entity";
import type { OrderEntity } from "../orders/order.entity";
import type { SubOrderInput } from "../orders/order.input";
import type { OrderPlacingService } from "../orders/order-placing.service";
import { ShootEntity } from "./shoot.entity";
import { ShootImageEntity } from "./shoot-image.entity";
import { retentionDue } from "./retention";

/** Image ids looked up per statement (bounded IN lists). */
const IDS_PER_READ = 500;

export class FirstPrintsService {
  constructor(private readonly orderPlacing: OrderPlacingService) {}

  async place(ctx: RequestContext, shootId: string, subOrders: SubOrderInput[]): Promise<Outcome<OrderEntity>> {
    return inTransaction(ctx, async (tx) => {
      // Locked until commit: the retention sweep removes a shoot's images under the same lock, so an
      // order is either placed before it looks (and keeps the images) or sees the shoot retired.
      const shoot = await tx.em.findOne(ShootEntity, { where: { id: shootId }, ...forUpdate(tx.em) });
      if (!shoot || shoot.id !== shootId) throw new RollbackWithErrors([userError("NOT_FOUND", `No shoot ${shootId}`, ["shootId"])]);
      if (!(await managesShop(ctx, tx.em, shoot.shopId))) throw forbidden(`Shoot ${shootId} is not one of your shops'`);
      if (shoot.retiredAt !== null || retentionDue(ctx.app.config, shoot, new Date())) {
        throw new RollbackWithErrors([
          userError("IMAGES_RETIRED", `The images of shoot ${shootId} have been removed (kept until its retention ended)`, ["shootId"]),
        ]);
      }
      const lab = await tx.em.findOne(LabEntity, { where: { id: shoot.firstPrintLabId }, select: { id: true, disabled: true } });
      if (!lab || lab.disabled) {
        throw new RollbackWithErrors([userError("LAB_DISABLED", `The shoot's first-print lab ${shoot.firstPrintLabId} is disabled`, ["shootId"])]);
      }
      const errors = await this.checkImages(tx.em, shootId, subOrders);
      if (errors.length > 0) throw new RollbackWithErrors(errors);
      return this.orderPlacing.placeConfirmedAt(ctx, tx, {
        shopId: shoot.shopId,
        labId: shoot.firstPrintLabId,
        shootId,
        subOrders,
        labField: ["shootId"],
        notes: [`first prints of shoot ${shootId}, at its first-print lab ${shoot.firstPrintLabId}`],
      });
    });
  }

  /** Every item's image must be one of the shoot's (NOT_SHOOT_IMAGE names the item otherwise). */
  private async checkImages(em: RequestContext["app"]["ds"]["manager"], shootId: string, subOrders: SubOrderInput[]): Promise<UserErrorData[]> {
    const ids = [...new Set(subOrders.flatMap((s) => s.items.map((i) => i.imageId)))];
    const ofShoot = new Set<string>();
    for (let i = 0; i < ids.length; i += IDS_PER_READ) {
      const rows = await em.find(ShootImageEntity, { where: { shootId, imageId: In(ids.slice(i, i + IDS_PER_READ)) }, select: { imageId: true } });
      for (const r of rows) ofShoot.add(r.imageId);
    }
    const errors: UserErrorData[] = [];
    subOrders.forEach((s, si) =>
      s.items.forEach((it, ii) => {
        // Exact ids: a case-insensitive collation must not let another spelling through.
        if (!ofShoot.has(it.imageId)) {
          errors.push(userError("NOT_SHOOT_IMAGE", `Image ${it.imageId} is not an image of shoot ${shootId}`, ["subOrders", si, "items", ii, "imageId"]));
        }
      }),
    );
    return errors;
  }
}
