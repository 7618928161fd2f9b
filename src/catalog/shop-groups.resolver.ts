import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from "type-graphql";
import type { RequestContext } from "../core/request-context";
import { listPage, type Connection } from "../core/pagination";
import { AFTER_ARG, FIRST_ARG, page } from "../graphql/connection.types";
import { ShopConnection, ShopGroupType, type ShopType } from "./catalog.types";
import { CatalogService } from "./catalog.service";

/** A shop group's object fields: its shops, a page at a time (read for every group of the request in one batch). */
@Resolver(() => ShopGroupType)
export class ShopGroupsResolver {
  constructor(private readonly catalog: CatalogService) {}

  @FieldResolver(() => ShopConnection, {
    description: "The group's shops the caller may see (as shops(shopGroupId) shows them), by id, a page at a time with first (1 to 100) and after.",
  })
  async shopsConnection(
    @Root() group: ShopGroupType,
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<ShopType>> {
    return listPage(await this.catalog.shopsOfGroup(ctx, group.id), page(first, after), (s) => s.id);
  }
}
