import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { RequestContext } from "../core/request-context";
import { CatalogService, type LabView } from "../catalog/catalog.service";
import { LabType, ProductType, ShopGroupType, ShopType } from "../catalog/catalog.types";
import type { ProductEntity } from "../catalog/product.entity";
import type { ShopGroupEntity } from "../catalog/shop-group.entity";
import type { ShopEntity } from "../catalog/shop.entity";
import type { OrderEntity } from "../orders/order.entity";
import { OrderType } from "../orders/orders.types";
import { OrdersService } from "../orders/orders.service";
import { NotificationType } from "./notifications.types";

/**
 * A notice's links as objects, beside their ids: each read with the page's others in one batch per
 * field, and as the reader may see it (an order, lab or shop outside their scope, or gone since, is null).
 */
@Resolver(() => NotificationType)
export class NotificationLinksResolver {
  constructor(
    private readonly catalog: CatalogService,
    private readonly orders: OrdersService,
  ) {}

  @FieldResolver(() => OrderType, { nullable: true, description: "The order the notice is about (beside orderId), as the reader may see it; else null." })
  order(@Root() n: NotificationType, @Ctx() ctx: RequestContext): Promise<OrderEntity | null> {
    return this.orders.order(ctx, n.orderId);
  }

  @FieldResolver(() => ProductType, { nullable: true, description: "The product the notice is about (beside productId); null when none or deleted since." })
  product(@Root() n: NotificationType, @Ctx() ctx: RequestContext): Promise<ProductEntity | null> {
    return this.catalog.product(ctx, n.productId);
  }

  @FieldResolver(() => LabType, { nullable: true, description: "The lab the notice is about (beside labId), as the reader may see labs; else null." })
  lab(@Root() n: NotificationType, @Ctx() ctx: RequestContext): Promise<LabView | null> {
    return this.catalog.lab(ctx, n.labId);
  }

  @FieldResolver(() => ShopType, { nullable: true, description: "The shop the notice is about (beside shopId), as the reader may see shops; else null." })
  shop(@Root() n: NotificationType, @Ctx() ctx: RequestContext): Promise<ShopEntity | null> {
    return this.catalog.shop(ctx, n.shopId);
  }

  @FieldResolver(() => ShopGroupType, {
    nullable: true,
    description: "The shop group the notice is about (beside shopGroupId), as the reader may see groups; else null.",
  })
  shopGroup(@Root() n: NotificationType, @Ctx() ctx: RequestContext): Promise<ShopGroupEntity | null> {
    return this.catalog.shopGroup(ctx, n.shopGroupId);
  }
}
