import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { RequestContext } from "../core/request-context";
import { ImageType } from "../images/image.types";
import { ImageReadsService, type ImageView } from "../images/image-reads.service";
import { layoutOf } from "./order-rules";
import { LayoutType, OrderItemType } from "./orders.types";

/** An order item's object fields: its image (read in batches) and its typed layout. */
@Resolver(() => OrderItemType)
export class OrderItemsResolver {
  constructor(private readonly imageReads: ImageReadsService) {}

  @FieldResolver(() => ImageType, {
    nullable: true,
    description:
      "The image (beside imageId) with a signed download link, as the caller may see it: null for a stock image the center only knows by id, and for a caller who may not see the image (a lab reads its job's images through PrintJob.images).",
  })
  image(@Root() item: OrderItemType, @Ctx() ctx: RequestContext): Promise<ImageView | null> {
    return this.imageReads.image(ctx, item.imageId);
  }

  @FieldResolver(() => LayoutType, { nullable: true, description: "Where the image lands on the sheet; null when the item has no layout." })
  placement(@Root() item: OrderItemType): LayoutType | null {
    return layoutOf(item.layout ?? null);
  }
}
