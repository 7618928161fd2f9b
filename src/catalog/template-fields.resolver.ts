import { Ctx, FieldResolver, ID, Resolver, Root } from "type-graphql";
import type { RequestContext } from "../core/request-context";
import { ShopType, TemplateType } from "./catalog.types";
import { CatalogService } from "./catalog.service";
import type { ShopEntity } from "./shop.entity";

/**
 * A template's object fields: the shops a group's template leaves out (setTemplateExcludedShops), read
 * for every template of the request in one batch. Whoever may read the template may read them.
 */
@Resolver(() => TemplateType)
export class TemplateFieldsResolver {
  constructor(private readonly catalog: CatalogService) {}

  @FieldResolver(() => [ID], {
    description: "The shops of the group this template leaves out (they do not offer its service by it), by id; empty for a shop's own template.",
  })
  excludedShopIds(@Root() template: TemplateType, @Ctx() ctx: RequestContext): Promise<string[]> {
    return this.catalog.excludedShopIds(ctx, template.id);
  }

  @FieldResolver(() => [ShopType], {
    description: "The same shops (beside excludedShopIds), those the caller may see (as shops shows them), by id.",
  })
  async excludedShops(@Root() template: TemplateType, @Ctx() ctx: RequestContext): Promise<ShopEntity[]> {
    const shops = await Promise.all((await this.catalog.excludedShopIds(ctx, template.id)).map((id) => this.catalog.shop(ctx, id)));
    return shops.filter((s): s is ShopEntity => s !== null);
  }
}
