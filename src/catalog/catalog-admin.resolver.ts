import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from "type-graphql";
import { listPage, type Connection } from "../core/pagination";
import { AFTER_ARG, FIRST_ARG, page } from "../graphql/connection.types";
import { boundedList } from "../graphql/argument-validation";
import { MAX_TEMPLATE_PRODUCTS } from "./products-admin.service";
import type { RequestContext } from "../core/request-context";
import { Role } from "../identity/role";
import {
  ChargedImageConnection,
  ChargedImagePayload,
  ChargedImageType,
  CreateChargedImageInput,
  CreateProductInput,
  CreateServiceInput,
  CreateShopGroupInput,
  CreateShopInput,
  CreateTemplateInput,
  ProductPayload,
  ServicePayload,
  ShopGroupPayload,
  ShopPayload,
  TemplatePayload,
  TemplateExcludedShopsPayload,
  UpdateChargedImageInput,
  UpdateProductInput,
  UpdateServiceInput,
  UpdateShopGroupInput,
  UpdateShopInput,
  UpdateTemplateInput,
} from "./catalog-admin.types";
import { ChargedImagesAdminService } from "./charged-images-admin.service";
import { ProductsAdminService } from "./products-admin.service";
import { ShopsAdminService } from "./shops-admin.service";

/** Catalog management (seed 003, Fig. 19-21). Who may do what is declared here; scopes are the service's. */
@Resolver()
export class CatalogAdminResolver {
  constructor(
    private readonly chargedImagesAdmin: ChargedImagesAdminService,
    private readonly productsAdmin: ProductsAdminService,
    private readonly shopsAdmin: ShopsAdminService,
  ) {}

  // --- Shop groups: the center admin; a group admin may rename their own group ---

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ShopGroupPayload, { description: "Register a shop group (center admin)." })
  async createShopGroup(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => CreateShopGroupInput, { description: "What to create or set." }) input: CreateShopGroupInput,
  ): Promise<ShopGroupPayload> {
    const r = await this.shopsAdmin.createShopGroup(ctx, input);
    return { shopGroup: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => ShopGroupPayload, { description: "Correct a shop group: the center admin any, a group admin the name of their own." })
  async updateShopGroup(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "Id of the shop group." }) id: string,
    @Arg("input", () => UpdateShopGroupInput, { description: "What to set; unset fields stay as they are." }) input: UpdateShopGroupInput,
  ): Promise<ShopGroupPayload> {
    const r = await this.shopsAdmin.updateShopGroup(ctx, id, input);
    return { shopGroup: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ShopGroupPayload, { description: "Delete a shop group nothing uses any more (center admin); answers the group as it was." })
  async deleteShopGroup(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "Id of the shop group." }) id: string): Promise<ShopGroupPayload> {
    const r = await this.shopsAdmin.deleteShopGroup(ctx, id);
    return { shopGroup: r.value, errors: r.errors };
  }

  // --- Shops and their group: the center admin ---

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ShopPayload, { description: "Register a shop in a shop group (center admin)." })
  async createShop(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => CreateShopInput, { description: "What to create or set." }) input: CreateShopInput,
  ): Promise<ShopPayload> {
    const r = await this.shopsAdmin.createShop(ctx, input);
    return { shop: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ShopPayload, { description: "Correct a shop (center admin)." })
  async updateShop(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "Id of the shop." }) id: string,
    @Arg("input", () => UpdateShopInput, { description: "What to set; unset fields stay as they are." }) input: UpdateShopInput,
  ): Promise<ShopPayload> {
    const r = await this.shopsAdmin.updateShop(ctx, id, input);
    return { shop: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ShopPayload, { description: "Move a shop to another shop group (center admin): that group's templates and prices apply to it from now on." })
  async moveShopToGroup(
    @Ctx() ctx: RequestContext,
    @Arg("shopId", () => ID, { description: "The shop's id." }) shopId: string,
    @Arg("shopGroupId", () => ID, { description: "The group to move the shop to." }) shopGroupId: string,
  ): Promise<ShopPayload> {
    const r = await this.shopsAdmin.moveShopToGroup(ctx, shopId, shopGroupId);
    return { shop: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ShopPayload, { description: "Delete a shop nothing uses any more (center admin); answers the shop as it was." })
  async deleteShop(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "Id of the shop." }) id: string): Promise<ShopPayload> {
    const r = await this.shopsAdmin.deleteShop(ctx, id);
    return { shop: r.value, errors: r.errors };
  }

  // --- Services and products: the center admin ---

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ServicePayload, { description: "Register a service (center admin)." })
  async createService(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => CreateServiceInput, { description: "What to create or set." }) input: CreateServiceInput,
  ): Promise<ServicePayload> {
    const r = await this.productsAdmin.createService(ctx, input);
    return { service: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ServicePayload, { description: "Correct a service (center admin)." })
  async updateService(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "Id of the service." }) id: string,
    @Arg("input", () => UpdateServiceInput, { description: "What to set; unset fields stay as they are." }) input: UpdateServiceInput,
  ): Promise<ServicePayload> {
    const r = await this.productsAdmin.updateService(ctx, id, input);
    return { service: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ServicePayload, { description: "Delete a service no template or lab uses (center admin)." })
  async deleteService(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "Id of the service." }) id: string): Promise<ServicePayload> {
    const r = await this.productsAdmin.deleteService(ctx, id);
    return { service: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ProductPayload, { description: "Register a product (center admin)." })
  async createProduct(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => CreateProductInput, { description: "What to create or set." }) input: CreateProductInput,
  ): Promise<ProductPayload> {
    const r = await this.productsAdmin.createProduct(ctx, input);
    return { product: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ProductPayload, { description: "Correct a product (center admin)." })
  async updateProduct(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "Id of the product." }) id: string,
    @Arg("input", () => UpdateProductInput, { description: "What to set; unset fields stay as they are." }) input: UpdateProductInput,
  ): Promise<ProductPayload> {
    const r = await this.productsAdmin.updateProduct(ctx, id, input);
    return { product: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ProductPayload, { description: "Delete a product no template, price row or allowance uses (center admin)." })
  async deleteProduct(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "Id of the product." }) id: string): Promise<ProductPayload> {
    const r = await this.productsAdmin.deleteProduct(ctx, id);
    return { product: r.value, errors: r.errors };
  }

  // --- Templates: the center admin, and a group admin for their group and its shops ---

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => TemplatePayload, {
    description: "Register a template of a shop group, or a shop's own (center admin; a group admin for their group and its shops).",
  })
  async createTemplate(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => CreateTemplateInput, { description: "What to create or set." }) input: CreateTemplateInput,
  ): Promise<TemplatePayload> {
    const r = await this.productsAdmin.createTemplate(ctx, input);
    return { template: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => TemplatePayload, { description: "Correct a template's name or products." })
  async updateTemplate(
    @Ctx() ctx: RequestContext,
    @Arg("id", () => ID, { description: "Id of the template." }) id: string,
    @Arg("input", () => UpdateTemplateInput, { description: "What to set; unset fields stay as they are." }) input: UpdateTemplateInput,
  ): Promise<TemplatePayload> {
    const r = await this.productsAdmin.updateTemplate(ctx, id, input);
    return { template: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => TemplatePayload, { description: "Replace a template's products, in this order." })
  async setTemplateProducts(
    @Ctx() ctx: RequestContext,
    @Arg("templateId", () => ID, { description: "The template's id." }) templateId: string,
    @Arg("productIds", () => [ID], {
      description: "The products the template offers, replacing the previous set.",
      validateFn: boundedList("productIds", MAX_TEMPLATE_PRODUCTS + 1),
    })
    productIds: string[],
  ): Promise<TemplatePayload> {
    const r = await this.productsAdmin.setTemplateProducts(ctx, templateId, productIds);
    return { template: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => TemplateExcludedShopsPayload, {
    description:
      "Leave shops of the group out of its template, replacing the previous list: they no longer offer its service by it. The center admin and the group's admin.",
  })
  async setTemplateExcludedShops(
    @Ctx() ctx: RequestContext,
    @Arg("templateId", () => ID, { description: "The group's template." }) templateId: string,
    @Arg("shopIds", () => [ID], { description: "Shops of the template's group to leave out (empty: none).", validateFn: boundedList("shopIds", 1001) })
    shopIds: string[],
  ): Promise<TemplateExcludedShopsPayload> {
    const r = await this.productsAdmin.setTemplateExcludedShops(ctx, templateId, shopIds);
    return { templateId: r.value?.templateId ?? null, excludedShopIds: r.value?.excludedShopIds ?? [], errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN)
  @Mutation(() => TemplatePayload, { description: "Delete a template (and its product list); answers the template as it was." })
  async deleteTemplate(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "Id of the template." }) id: string): Promise<TemplatePayload> {
    const r = await this.productsAdmin.deleteTemplate(ctx, id);
    return { template: r.value, errors: r.errors };
  }

  // --- Charged images: the center admin manages them; admins and customers read them ---

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN, Role.SHOP_ADMIN, Role.GENERAL_USER)
  @Query(() => [ChargedImageType], { description: "Copyrighted stock images and their fee per sheet (customers pay the fees, so they may read them)." })
  chargedImages(@Ctx() ctx: RequestContext): Promise<ChargedImageType[]> {
    return this.chargedImagesAdmin.chargedImages(ctx);
  }

  @Authorized(Role.CENTER_ADMIN, Role.SHOP_GROUP_ADMIN, Role.SHOP_ADMIN, Role.GENERAL_USER)
  @Query(() => ChargedImageConnection, {
    description: "The same charged images as chargedImages, as a Relay connection: by image id, a page at a time with first (1 to 100) and after.",
  })
  async chargedImagesConnection(
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, FIRST_ARG) first: number | null,
    @Arg("after", () => String, AFTER_ARG) after?: string | null,
  ): Promise<Connection<ChargedImageType>> {
    return listPage(await this.chargedImagesAdmin.chargedImages(ctx), page(first, after), (c) => c.imageId);
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ChargedImagePayload, { description: "Register a charged image (center admin)." })
  async createChargedImage(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => CreateChargedImageInput, { description: "What to create or set." }) input: CreateChargedImageInput,
  ): Promise<ChargedImagePayload> {
    const r = await this.chargedImagesAdmin.createChargedImage(ctx, input);
    return { chargedImage: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ChargedImagePayload, { description: "Correct a charged image's fee or rights holder (center admin)." })
  async updateChargedImage(
    @Ctx() ctx: RequestContext,
    @Arg("imageId", () => ID, { description: "The uploaded image's id." }) imageId: string,
    @Arg("input", () => UpdateChargedImageInput, { description: "What to set; unset fields stay as they are." }) input: UpdateChargedImageInput,
  ): Promise<ChargedImagePayload> {
    const r = await this.chargedImagesAdmin.updateChargedImage(ctx, imageId, input);
    return { chargedImage: r.value, errors: r.errors };
  }

  @Authorized(Role.CENTER_ADMIN)
  @Mutation(() => ChargedImagePayload, { description: "Delete a charged image (center admin): it is printed free of fees from then on." })
  async deleteChargedImage(
    @Ctx() ctx: RequestContext,
    @Arg("imageId", () => ID, { description: "The uploaded image's id." }) imageId: string,
  ): Promise<ChargedImagePayload> {
    const r = await this.chargedImagesAdmin.deleteChargedImage(ctx, imageId);
    return { chargedImage: r.value, errors: r.errors };
  }
}
