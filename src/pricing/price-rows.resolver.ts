import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { RequestContext } from "../core/request-context";
import { CatalogService } from "../catalog/catalog.service";
import { ProductType, ShopGroupType, ShopType } from "../catalog/catalog.types";
import type { ProductEntity } from "../catalog/product.entity";
import type { ShopGroupEntity } from "../catalog/shop-group.entity";
import type { ShopEntity } from "../catalog/shop.entity";
import { PriceRowType } from "./pricing.types";

/** A price row's object fields beside its ids, each read in one batch per request. */
@Resolver(() => PriceRowType)
export class PriceRowsResolver {
  constructor(private readonly catalog: CatalogService) {}

  @FieldResolver(() => ProductType, { nullable: true, description: "The product the row prices (beside productId)." })
  product(@Root() row: PriceRowType, @Ctx() ctx: RequestContext): Promise<ProductEntity | null> {
    return this.catalog.product(ctx, row.productId);
  }

  @FieldResolver(() => ShopGroupType, { nullable: true, description: "The group of a group price (beside shopGroupId), as the caller may see it; else null." })
  shopGroup(@Root() row: PriceRowType, @Ctx() ctx: RequestContext): Promise<ShopGroupEntity | null> {
    return this.catalog.shopGroup(ctx, row.shopGroupId);
  }

  @FieldResolver(() => ShopType, { nullable: true, description: "The shop of a shop price (beside shopId), as the caller may see it; else null." })
  shop(@Root() row: PriceRowType, @Ctx() ctx: RequestContext): Promise<ShopEntity | null> {
    return this.catalog.shop(ctx, row.shopId);
  }
}
