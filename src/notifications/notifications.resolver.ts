import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from "type-graphql";
import { boundedList } from "../graphql/argument-validation";

/** Ids per markNotificationsRead; one more is TOO_MANY in the payload, more than that BAD_USER_INPUT at the edge. */
const MAX_IDS = 1000;
import { forbidden, unauthenticated } from "../common/errors";
import type { RequestContext } from "../core/request-context";
import type { NotificationEvent } from "../core/events";
import type { NotificationEntity } from "./notification.entity";
import { MarkNotificationsReadPayload, NotificationConnection, NotificationType } from "./notifications.types";
import type { Connection } from "../core/pagination";
import { NotificationsService } from "./notifications.service";

const view = (n: NotificationEntity): NotificationType => ({
  id: n.id,
  kind: n.kind,
  message: n.message,
  createdAt: n.createdAt,
  read: n.readAt !== null,
  orderId: n.orderId,
  productId: n.productId,
  labId: n.labId,
  shopId: n.shopId,
  shopGroupId: n.shopGroupId,
});

@Resolver()
export class NotificationsResolver {
  constructor(private readonly notificationsService: NotificationsService) {}

  @Query(() => [NotificationType], { description: "The caller's notices, newest first." })
  async notifications(
    @Ctx() ctx: RequestContext,
    @Arg("unreadOnly", () => Boolean, { description: "true: only unread ones.", nullable: true, defaultValue: false }) unreadOnly: boolean | null,
    @Arg("first", () => Int, { description: "Most recent notifications to return.", nullable: true, defaultValue: 50 }) first: number | null,
  ): Promise<NotificationType[]> {
    if (ctx.auth.kind === "anonymous") throw unauthenticated();
    return (await this.notificationsService.list(ctx, unreadOnly ?? false, first ?? 50)).map(view);
  }

  @Query(() => NotificationConnection, {
    description:
      "The caller's notices, newest first, as a Relay connection: the same list as notifications (which stays a plain list of the first ones), a page at a time with first (1 to 100) and after.",
  })
  notificationsConnection(
    @Ctx() ctx: RequestContext,
    @Arg("unreadOnly", () => Boolean, { nullable: true, defaultValue: false, description: "Only notices not read yet." }) unreadOnly: boolean | null,
    @Arg("first", () => Int, { nullable: true, defaultValue: 20, description: "At most this many notices (1 to 100)." }) first: number | null,
    @Arg("after", () => String, { nullable: true, description: "The endCursor of the page before." }) after?: string | null,
  ): Promise<Connection<NotificationType>> {
    if (ctx.auth.kind === "anonymous") throw unauthenticated();
    return this.notificationsService.page(ctx, { unreadOnly: unreadOnly ?? false, first: first ?? 20, after: after ?? null }, view);
  }

  @Authorized()
  @Query(() => Int, { description: "How many of the caller's notices are unread." })
  unreadNotificationCount(@Ctx() ctx: RequestContext): Promise<number> {
    return this.notificationsService.unreadCount(ctx);
  }

  @Authorized()
  @Mutation(() => MarkNotificationsReadPayload, { description: "Mark the caller's notices read: those named, or all when ids is omitted." })
  async markNotificationsRead(
    @Ctx() ctx: RequestContext,
    @Arg("ids", () => [ID], {
      description: "The notifications to mark; unset: all of the caller's.",
      nullable: true,
      validateFn: boundedList("ids", MAX_IDS + 1),
    })
    ids?: string[] | null,
  ): Promise<MarkNotificationsReadPayload> {
    if (ids && ids.length > MAX_IDS)
      return {
        updated: 0,
        unreadCount: await this.notificationsService.unreadCount(ctx),
        errors: [{ code: "TOO_MANY", message: `At most ${MAX_IDS} ids at once`, field: ["ids"] }],
      };
    const updated = await this.notificationsService.markRead(ctx, ids ?? null);
    return { updated, unreadCount: await this.notificationsService.unreadCount(ctx), errors: [] };
  }

  @Subscription(() => NotificationType, {
    name: "notifications",
    description: "For people: their notices as they are made.",
    subscribe: ({ context }: SubscribeResolverData<unknown, unknown, RequestContext>) => {
      if (context.auth.kind === "anonymous") throw unauthenticated();
      if (context.auth.kind !== "user") throw forbidden("Notifications are for people, not labs");
      return context.app.events.subscribe("notification", context.auth.user.id);
    },
  })
  async notificationsLive(@Root() event: NotificationEvent, @Ctx() ctx: RequestContext): Promise<NotificationType> {
    const n = await this.notificationsService.getOwn(ctx, event.notificationId);
    if (!n) throw new Error(`notification ${event.notificationId} not found after commit`);
    return view(n);
  }
}
