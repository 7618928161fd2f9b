import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Query, Resolver, Root } from "type-graphql";
import type { RequestContext } from "../core/request-context";
import { listPage, type Connection } from "../core/pagination";
import { AFTER_ARG, FIRST_ARG, page } from "../graphql/connection.types";
import {
  GeoPoint,
  LabConnection,
  LabType,
  ProductConnection,
  ProductType,
  ServiceConnection,
  ServiceType,
  ShopConnection,
  ShopGroupConnection,
  ShopGroupType,
  ShopType,
  TemplateConnection,
  TemplateType,
} from "./catalog.types";
import type { ShopEntity } from "./shop.entity";
import { CatalogService } from "./catalog.service";
import { PUBLIC_READ } from "../identity/role";

@Resolver(() => ShopType)
export class CatalogResolver {
  constructor(private readonly catalog: CatalogService) {}

  @Authorized(PUBLIC_READ)
  @Query(() => [ShopGroupType], { description: "The shop groups the caller may see." })
  shopGroups(@Ctx() ctx: RequestContext): Promise<ShopGroupType[]> {
    return this.catalog.shopGroups(ctx);
  }

  @Authorized(PUBLIC_READ)
  @Query(() => [ShopType], { description: "The shops the caller may see, optionally of one group." })
  shops(
    @Ctx() ctx: RequestContext,
    @Arg("shopGroupId", () => ID, { description: "The shop group's id.", nullable: true }) shopGroupId?: string | null,
  ): Promise<ShopType[]> {
    return this.catalog.shops(ctx, { shopGroupId });
  }

  @Authorized(PUBLIC_READ)
  @Query(() => ShopType, { description: "One shop; null when not found.", nullable: true })
  async shop(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "Id of the shop." }) id: string): Promise<ShopType | null> {
    return (await this.catalog.shops(ctx, {})).find((s) => s.id === id) ?? null;
  }

  @Authorized(PUBLIC_READ)
  @Query(() => [ServiceType], { description: "Every service." })
  services(@Ctx() ctx: RequestContext): Promise<ServiceType[]> {
    return this.catalog.services(ctx);
  }

  @Authorized(PUBLIC_READ)
  @Query(() => [ProductType], { description: "Every product." })
  products(@Ctx() ctx: RequestContext): Promise<ProductType[]> {
    return this.catalog.products(ctx);
  }

  @Authorized(PUBLIC_READ)
  @Query(() => [TemplateType], { description: "Templates the caller may see, optionally of one group or one shop." })
  templates(
    @Ctx() ctx: RequestContext,
    @Arg("shopGroupId", () => ID, { description: "The shop group's id.", nullable: true }) shopGroupId?: string | null,
    @Arg("shopId", () => ID, { description: "The shop's id.", nullable: true }) shopId?: string | null,
  ): Promise<TemplateType[]> {
    return this.catalog.templates(ctx, { shopGroupId, shopId });
  }

  @Authorized()
  @Query(() => [LabType], { description: "Labs the caller administers (a lab sees itself); none for customers." })
  labs(@Ctx() ctx: RequestContext, @Arg("shopId", () => ID, { description: "The shop's id.", nullable: true }) shopId?: string | null): Promise<LabType[]> {
    return this.catalog.labs(ctx, { shopId });
  }

  @Authorized()
  @Query(() => LabType, { description: "One lab; null when not found or outside the caller's scope.", nullable: true })
  async lab(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "Id of the lab." }) id: string): Promise<LabType | null> {
    return (await this.catalog.labs(ctx, {})).find((l) => l.id === id) ?? null;
  }

  // ------------------------------------------------------------ the same lists as connections

  @Authorized(PUBLIC_READ)
  @Query(() => ShopGroupConnection, {
    description: "The same groups as shopGroups, as a Relay connection: by id, a page at a time with first (1 to 100) and after.",
  })
  async shopGroupsConnection(
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<ShopGroupType>> {
    return listPage(await this.catalog.shopGroups(ctx), page(first, after), byId);
  }

  @Authorized(PUBLIC_READ)
  @Query(() => ShopConnection, { description: "The same shops as shops, as a Relay connection: by id, a page at a time with first (1 to 100) and after." })
  async shopsConnection(
    @Ctx() ctx: RequestContext,
    @Arg("shopGroupId", () => ID, { description: "Only this group's shops.", nullable: true }) shopGroupId: string | null,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<ShopType>> {
    return listPage(await this.catalog.shops(ctx, { shopGroupId }), page(first, after), byId);
  }

  @Authorized(PUBLIC_READ)
  @Query(() => ServiceConnection, {
    description: "The same services as services, as a Relay connection: by id, a page at a time with first (1 to 100) and after.",
  })
  async servicesConnection(
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<ServiceType>> {
    return listPage(await this.catalog.services(ctx), page(first, after), byId);
  }

  @Authorized(PUBLIC_READ)
  @Query(() => ProductConnection, {
    description: "The same products as products, as a Relay connection: by id, a page at a time with first (1 to 100) and after.",
  })
  async productsConnection(
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<ProductType>> {
    return listPage(await this.catalog.products(ctx), page(first, after), byId);
  }

  @Authorized(PUBLIC_READ)
  @Query(() => TemplateConnection, {
    description: "The same templates as templates, as a Relay connection: by id, a page at a time with first (1 to 100) and after.",
  })
  async templatesConnection(
    @Ctx() ctx: RequestContext,
    @Arg("shopGroupId", () => ID, { description: "Only this group's templates.", nullable: true }) shopGroupId: string | null,
    @Arg("shopId", () => ID, { description: "Only this shop's templates.", nullable: true }) shopId: string | null,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<TemplateType>> {
    return listPage(await this.catalog.templates(ctx, { shopGroupId, shopId }), page(first, after), byId);
  }

  @Authorized()
  @Query(() => LabConnection, { description: "The same labs as labs, as a Relay connection: by id, a page at a time with first (1 to 100) and after." })
  async labsConnection(
    @Ctx() ctx: RequestContext,
    @Arg("shopId", () => ID, { description: "Only this shop's labs.", nullable: true }) shopId: string | null,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<LabType>> {
    return listPage(await this.catalog.labs(ctx, { shopId }), page(first, after), byId);
  }

  @FieldResolver(() => ShopGroupType, {
    nullable: true,
    description: "The shop's group (beside shopGroupId), as the caller may see it: null when they may not.",
  })
  group(@Root() shop: ShopEntity, @Ctx() ctx: RequestContext): Promise<ShopGroupType | null> {
    return this.catalog.shopGroup(ctx, shop.shopGroupId);
  }

  @FieldResolver(() => GeoPoint, { nullable: true })
  location(@Root() shop: ShopEntity): GeoPoint | null {
    return shop.lat !== null && shop.lng !== null ? { lat: shop.lat, lng: shop.lng } : null;
  }
}

const byId = (row: { id: string }): string => row.id;
