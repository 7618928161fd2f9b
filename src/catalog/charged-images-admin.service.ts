/**
 * Charged images (seed 003): images whose prints pay a fee per sheet to their rights holder. The
 * center admin registers, corrects and deletes them; customers read them, since they pay the fees.
 * See catalog-admin.ts for the rules every catalog admin operation follows.
 */
import { userError, type UserErrorData } from "../common/errors";
import { checkName, checkNewId, duplicateId, type Field } from "../common/catalog-checks";
import { exact, insertOrReject } from "../common/catalog-writes";
import { inTransaction, rejectIf, type Outcome } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import { actorName } from "../notifications/notifications.service";
import { ChargedImageEntity } from "../pricing/charged-image.entity";
import { invalidatePrices, notFound, reportChange, requireCenterAdmin } from "./catalog-admin";
import type { NotificationsService } from "../notifications/notifications.service";

export interface ChargedImageInput {
  imageId: string;
  feePerSheet: number;
  rightsHolder: string;
}
export interface ChargedImageChange {
  feePerSheet?: number | null;
  rightsHolder?: string | null;
}

/** Charged images: the write side, with their checks and change reports. */
export class ChargedImagesAdminService {
  constructor(private readonly notifications: NotificationsService) {}

  // --- Charged images --------------------------------------------------------------------------

  /** Every charged image: admins manage them, customers read them (they pay the fees). */
  async chargedImages(ctx: RequestContext): Promise<ChargedImageEntity[]> {
    return ctx.app.ds.getRepository(ChargedImageEntity).find({ order: { imageId: "ASC" } });
  }

  async createChargedImage(ctx: RequestContext, input: ChargedImageInput): Promise<Outcome<ChargedImageEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const errors: UserErrorData[] = [];
      await checkNewId(tx.em, ChargedImageEntity, "charged image", input.imageId, ["input", "imageId"], errors, "imageId");
      checkFee(input.feePerSheet, ["input", "feePerSheet"], errors);
      const rightsHolder = checkName(input.rightsHolder, ["input", "rightsHolder"], errors, "rightsHolder");
      rejectIf(errors);
      const image = Object.assign(new ChargedImageEntity(), { imageId: input.imageId, feePerSheet: input.feePerSheet, rightsHolder: rightsHolder! });
      await insertOrReject(tx.em, ChargedImageEntity, image, () => [duplicateId("charged image", input.imageId, ["input", "imageId"])]);
      await reportChange(
        this.notifications,
        ctx,
        tx,
        "CHARGED_IMAGE_CREATED",
        `Charged image ${image.imageId} (${image.feePerSheet} per sheet, for ${image.rightsHolder}) was registered by ${actorName(ctx)}`,
        { kind: "SYSTEM" },
      );
      invalidatePrices(tx);
      return image;
    });
  }

  async updateChargedImage(ctx: RequestContext, imageId: string, input: ChargedImageChange): Promise<Outcome<ChargedImageEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const image = await exact(tx.em, ChargedImageEntity, "imageId", imageId, true);
      if (!image) throw notFound("charged image", imageId, ["imageId"]);
      const errors: UserErrorData[] = [];
      if (input.feePerSheet != null) checkFee(input.feePerSheet, ["input", "feePerSheet"], errors);
      const rightsHolder = input.rightsHolder != null ? checkName(input.rightsHolder, ["input", "rightsHolder"], errors, "rightsHolder") : undefined;
      rejectIf(errors);
      const change: Partial<ChargedImageEntity> = {};
      const said: string[] = [];
      if (input.feePerSheet != null && input.feePerSheet !== image.feePerSheet) {
        said.push(`fee per sheet ${image.feePerSheet} -> ${input.feePerSheet}`);
        change.feePerSheet = input.feePerSheet;
      }
      if (rightsHolder !== undefined && rightsHolder !== image.rightsHolder) {
        said.push(`rights holder "${image.rightsHolder}" -> "${rightsHolder}"`);
        change.rightsHolder = rightsHolder;
      }
      if (said.length === 0) return image;
      Object.assign(image, change);
      await tx.em.update(ChargedImageEntity, { imageId: image.imageId }, change);
      await reportChange(
        this.notifications,
        ctx,
        tx,
        "CHARGED_IMAGE_UPDATED",
        `Charged image ${image.imageId} was corrected by ${actorName(ctx)}: ${said.join(", ")}`,
        { kind: "SYSTEM" },
      );
      invalidatePrices(tx);
      return image;
    });
  }

  async deleteChargedImage(ctx: RequestContext, imageId: string): Promise<Outcome<ChargedImageEntity>> {
    requireCenterAdmin(ctx);
    return inTransaction(ctx, async (tx) => {
      const image = await exact(tx.em, ChargedImageEntity, "imageId", imageId, true);
      if (!image) throw notFound("charged image", imageId, ["imageId"]);
      await tx.em.delete(ChargedImageEntity, { imageId: image.imageId });
      await reportChange(
        this.notifications,
        ctx,
        tx,
        "CHARGED_IMAGE_DELETED",
        `Charged image ${image.imageId} (for ${image.rightsHolder}) was deleted by ${actorName(ctx)}; it is printed free of fees from now on`,
        { kind: "SYSTEM" },
      );
      invalidatePrices(tx);
      return image;
    });
  }
}

function checkFee(fee: number, field: Field, errors: UserErrorData[]): void {
  if (!Number.isSafeInteger(fee) || fee < 0) {
    errors.push(userError("NEGATIVE_CHARGE", `feePerSheet must be a whole amount of 0 or more minor units, got ${fee}`, field));
  }
}
