import DataLoader from "dataloader";
import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import type { OrderUpdate } from "../core/events";
import { badInput } from "../common/errors";
import type { RequestContext } from "../core/request-context";
import { MoneyScalar } from "../graphql/scalars";
import { CatalogService, type LabView } from "../catalog/catalog.service";
import { LabType, ShopType } from "../catalog/catalog.types";
import type { ShopEntity } from "../catalog/shop.entity";
import { ALL_ROLES, ADMIN_ROLES, LAB, Role, type Principal } from "../identity/role";
import { QuoteType } from "../pricing/pricing.types";
import { FulfilmentType } from "./order-fulfilment.types";
import type { QuoteView } from "../pricing/pricing.service";
import { OrderInput } from "./order.input";
import type { OrderEntity } from "./order.entity";
import { DEFAULT_LAB_CANDIDATES, encodeCursor, MAX_LAB_CANDIDATES, subOrderId, type StoredAssignment } from "./order-rules";
import {
  AssignmentType,
  ConfirmOrderPayload,
  HomeLabPayload,
  HomeShopPayload,
  LoadSource,
  LabCandidateType,
  OrderConnection,
  OrderFilter,
  OrderItemType,
  OrderPayload,
  OrderType,
  PlaceOrderPayload,
  SubOrderType,
} from "./orders.types";
import { OrderChangesService } from "./order-changes.service";
import { OrderPlacingService } from "./order-placing.service";
import { OrdersService } from "./orders.service";

/** Sub-orders (with items) of every order on a page, in one batch per request. */
function subOrderLoader(ctx: RequestContext, orders: OrdersService): DataLoader<string, SubOrderType[]> {
  let loader = ctx.memo.get("subOrders") as DataLoader<string, SubOrderType[]> | undefined;
  if (!loader) {
    loader = new DataLoader(async (ids: readonly string[]) => {
      const byOrder = await orders.subOrdersOf(ctx, ids);
      return ids.map((id) =>
        (byOrder.get(id) ?? []).map((s) => ({
          id: subOrderId(s.orderId, s.seq),
          number: s.seq,
          serviceId: s.serviceId,
          sheets: s.sheets,
          items: s.items.map((i) => ({ id: i.id, imageId: i.imageId, designTemplateId: i.designTemplateId, layout: i.layoutJson, warnings: [] })),
        })),
      );
    });
    ctx.memo.set("subOrders", loader);
  }
  return loader;
}

/** The order's frozen quote; a quote stored before the print check has none of its fields (none found). */
function storedQuote(order: OrderEntity): QuoteView | null {
  if (!order.quoteJson) return null;
  const quote = JSON.parse(order.quoteJson) as QuoteView;
  return { ...quote, subOrders: quote.subOrders.map((s) => ({ ...s, printSize: s.printSize ?? null, warnings: s.warnings ?? [] })) };
}

/** Sub-orders with what their quote said: the print size (by service: one sub-order per service) and each item's warnings (by place). */
function withPrintChecks(subs: SubOrderType[], quote: QuoteView | null): SubOrderType[] {
  return subs.map((s) => {
    const quoted = quote?.subOrders.find((q) => q.serviceId === s.serviceId);
    const warnings = quoted?.warnings ?? [];
    return {
      ...s,
      printSize: (quoted?.printSize ?? null) as SubOrderType["printSize"],
      items: s.items.map((item, i) => ({ ...item, warnings: warnings.filter((w) => w.itemIndex === i) as OrderItemType["warnings"] })),
    };
  });
}

@Resolver(() => OrderType)
export class OrdersResolver {
  constructor(
    private readonly orderChanges: OrderChangesService,
    private readonly orderPlacing: OrderPlacingService,
    readonly ordersService: OrdersService,
    private readonly catalog: CatalogService,
  ) {}

  @Authorized(...ALL_ROLES)
  @Mutation(() => PlaceOrderPayload, { description: "Store and price an order (status QUOTED). Same idempotencyKey from the same user: the same order back." })
  async placeOrder(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => OrderInput, { description: "The order." }) input: OrderInput,
    @Arg("idempotencyKey", () => String, {
      description: "A key of the client's choosing: the same key from the same user returns the same order instead of a second one.",
      nullable: true,
    })
    idempotencyKey?: string | null,
  ): Promise<PlaceOrderPayload> {
    const r = await this.orderPlacing.place(ctx, input, idempotencyKey ?? null);
    return { order: r.value as unknown as OrderType, errors: r.errors };
  }

  @Authorized(...ALL_ROLES)
  @Mutation(() => ConfirmOrderPayload, { description: "The customer accepts the quoted total; the order is assigned to a lab and a print job is queued." })
  async confirmOrder(
    @Ctx() ctx: RequestContext,
    @Arg("orderId", () => ID, { description: "The order's id." }) orderId: string,
    @Arg("acceptedTotal", () => MoneyScalar, {
      description:
        "The quoted total the customer accepted, in the currency's minor unit (cents for EUR, yen for JPY); any other amount is refused (QUOTE_MISMATCH).",
    })
    acceptedTotal: number,
  ): Promise<ConfirmOrderPayload> {
    const r = await this.orderChanges.confirm(ctx, orderId, acceptedTotal);
    return { order: r.value as unknown as OrderType, errors: r.errors };
  }

  @Authorized(...ALL_ROLES)
  @Mutation(() => OrderPayload, { description: "Cancel an order before printing: customers their own, admins those in scope." })
  async cancelOrder(@Ctx() ctx: RequestContext, @Arg("orderId", () => ID, { description: "The order's id." }) orderId: string): Promise<OrderPayload> {
    const r = await this.orderChanges.cancel(ctx, orderId);
    return { order: r.value as unknown as OrderType, errors: r.errors };
  }

  @Authorized(...ADMIN_ROLES)
  @Mutation(() => OrderPayload, { description: "Move an order that is not printing yet to another capable lab; both labs are told." })
  async reassignOrder(
    @Ctx() ctx: RequestContext,
    @Arg("orderId", () => ID, { description: "The order's id." }) orderId: string,
    @Arg("labId", () => ID, { description: "The lab's id." }) labId: string,
  ): Promise<OrderPayload> {
    const r = await this.orderChanges.reassign(ctx, orderId, labId);
    return { order: r.value as unknown as OrderType, errors: r.errors };
  }

  @Authorized(Role.GENERAL_USER)
  @Mutation(() => HomeShopPayload, {
    description: "Register (or clear, with null) the caller's home shop: their orders go there when they name neither shop nor lab.",
  })
  async setHomeShop(
    @Ctx() ctx: RequestContext,
    @Arg("shopId", () => ID, { description: "The shop; null clears it.", nullable: true }) shopId?: string | null,
  ): Promise<HomeShopPayload> {
    const r = await this.ordersService.setHomeShop(ctx, shopId ?? null);
    return { homeShopId: r.value?.homeShopId ?? null, errors: r.errors };
  }

  @Authorized(...ALL_ROLES)
  @Mutation(() => HomeLabPayload, {
    description:
      "Register (or clear, with null) a customer's home lab: their orders that name neither shop nor lab go there when it can print them. A customer sets their own; an admin names the customer (userId) and a lab of a shop they manage.",
  })
  async setHomeLab(
    @Ctx() ctx: RequestContext,
    @Arg("labId", () => ID, { description: "The lab; null clears it.", nullable: true }) labId?: string | null,
    @Arg("userId", () => ID, { description: "The customer (admins); unset: the caller.", nullable: true }) userId?: string | null,
  ): Promise<HomeLabPayload> {
    const r = await this.ordersService.setHomeLab(ctx, labId ?? null, userId ?? null);
    return { homeLabId: r.value?.homeLabId ?? null, userId: r.value?.id ?? null, errors: r.errors };
  }

  @Authorized(Role.GENERAL_USER)
  @Subscription(() => OrderType, {
    name: "orderUpdates",
    description:
      "For a customer: each of their orders as its status changes (assigned, printing, printed, shipped, ...), in the order the changes were made, " +
      "each in the status that change gave it. Anonymous callers: UNAUTHENTICATED; admins and labs: FORBIDDEN.",
    subscribe: ({ context }: SubscribeResolverData<unknown, unknown, RequestContext>) =>
      context.resolvers.get(OrdersResolver).ordersService.orderUpdates(context),
  })
  async orderUpdatesLive(@Root() event: OrderUpdate, @Ctx() ctx: RequestContext): Promise<OrderType> {
    const order = await this.ordersService.updated(ctx, event);
    if (!order) throw new Error(`order ${event.orderId} not found after its update`);
    return order as unknown as OrderType;
  }

  @Authorized<Principal>(...ALL_ROLES, LAB)
  @Query(() => OrderType, { nullable: true, description: "An order the caller may see: a customer their own, admins in scope, a lab its jobs' orders." })
  order(@Ctx() ctx: RequestContext, @Arg("id", () => ID, { description: "Id of the order." }) id: string): Promise<OrderType | null> {
    return this.ordersService.get(ctx, id) as unknown as Promise<OrderType | null>;
  }

  @Authorized<Principal>(...ALL_ROLES, LAB)
  @Query(() => OrderConnection, { description: "Orders the caller may see, newest first, a page at a time." })
  async orders(
    @Ctx() ctx: RequestContext,
    @Arg("first", () => Int, { description: "Page size, 1 to 100.", nullable: true, defaultValue: 20 }) first: number | null,
    @Arg("after", () => String, { description: "A cursor from a previous page (OrderEdge.cursor); unset: from the newest.", nullable: true })
    after?: string | null,
    @Arg("filter", () => OrderFilter, { description: "Narrow the list.", nullable: true }) filter?: OrderFilter | null,
  ): Promise<OrderConnection> {
    if (first !== null && (first < 1 || first > 100)) throw badInput("first must be 1 to 100", ["first"]);
    const page = await this.ordersService.list(ctx, { first: first ?? 20, after: after ?? null, filter: filter ?? {} });
    const edges = page.orders.map((o) => ({ cursor: encodeCursor(o), node: o as unknown as OrderType }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.length ? edges[edges.length - 1].cursor : null } };
  }

  @Authorized(...ALL_ROLES)
  @Query(() => [LabCandidateType], { description: "Two-phase pick: the labs that could print this order, best first, each with its quote." })
  async labCandidates(
    @Ctx() ctx: RequestContext,
    @Arg("input", () => OrderInput, { description: "The order to place." }) input: OrderInput,
    @Arg("first", () => Int, {
      nullable: true,
      description: `At most this many labs, best first (1 to ${MAX_LAB_CANDIDATES}; default ${DEFAULT_LAB_CANDIDATES}).`,
    })
    first?: number | null,
  ): Promise<LabCandidateType[]> {
    const r = await this.orderPlacing.candidates(ctx, input, first ?? DEFAULT_LAB_CANDIDATES);
    if ("errors" in r) throw badInput(r.errors.map((e) => `${e.code}: ${e.message}`).join("; "), r.errors[0]?.field ?? undefined);
    return r.candidates.map((c) => ({
      labId: c.labId,
      shopId: c.shopId,
      distanceKm: c.distanceKm,
      load: c.load,
      hoursToPrint: c.hoursToPrint,
      sheetsAhead: c.sheetsAhead,
      loadSource: c.loadSource as LoadSource,
      quote: (r.quotes.get(c.shopId) ?? null) as unknown as QuoteType | null,
      reasons: c.reasons,
    }));
  }

  @FieldResolver(() => [SubOrderType])
  async subOrders(@Root() order: OrderEntity, @Ctx() ctx: RequestContext): Promise<SubOrderType[]> {
    const subs = withPrintChecks(await subOrderLoader(ctx, this.ordersService).load(order.id), storedQuote(order));
    // A lab sees the items (images, layouts) of an order only while the order is at that lab.
    if (ctx.auth.kind === "lab" && order.labId !== ctx.auth.labId) return subs.map((s) => ({ ...s, items: [] }));
    return subs;
  }

  @FieldResolver(() => ShopType, {
    nullable: true,
    description: "The order's shop (beside shopId), as the caller may see shops: null when there is none or they may not.",
  })
  shop(@Root() order: OrderEntity, @Ctx() ctx: RequestContext): Promise<ShopEntity | null> {
    return this.catalog.shop(ctx, order.shopId);
  }

  @FieldResolver(() => LabType, {
    nullable: true,
    description: "The order's lab (beside labId), as the caller may see labs (admins in scope, the lab itself; never customers): else null.",
  })
  lab(@Root() order: OrderEntity, @Ctx() ctx: RequestContext): Promise<LabView | null> {
    return this.catalog.lab(ctx, order.labId);
  }

  @FieldResolver(() => QuoteType, { nullable: true })
  quote(@Root() order: OrderEntity): QuoteView | null {
    return storedQuote(order);
  }

  @FieldResolver(() => FulfilmentType, { nullable: true })
  fulfilment(@Root() order: OrderEntity, @Ctx() ctx: RequestContext): FulfilmentType | null {
    return this.ordersService.fulfilment(ctx, order);
  }

  @FieldResolver(() => String, { nullable: true })
  customerReference(@Root() order: OrderEntity, @Ctx() ctx: RequestContext): string | null {
    return this.ordersService.customerReference(ctx, order);
  }

  @FieldResolver(() => Date, { nullable: true })
  dueAt(@Root() order: OrderEntity, @Ctx() ctx: RequestContext): Date | null {
    return this.ordersService.dueAt(ctx, order);
  }

  @FieldResolver(() => MoneyScalar, { nullable: true })
  total(@Root() order: OrderEntity): number | null {
    return order.quoteTotal;
  }

  @FieldResolver(() => AssignmentType, { nullable: true })
  async assignment(@Root() order: OrderEntity, @Ctx() ctx: RequestContext): Promise<AssignmentType | null> {
    if (!order.assignmentJson || !(await this.ordersService.mayReadAssignment(ctx, order))) return null;
    const a = JSON.parse(order.assignmentJson) as StoredAssignment;
    return { ...a, decidedAt: new Date(a.decidedAt), candidatesOmitted: a.candidatesOmitted ?? 0, rejectedOmitted: a.rejectedOmitted ?? 0 };
  }
}
