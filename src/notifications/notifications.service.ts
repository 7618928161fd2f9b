/**
 * Change reports to the administrators concerned (seed 003, Fig. 21, S21016):
 * - a change by the center admin goes to the group admins and shop admins concerned;
 * - a change by a group admin goes to the shop admins of that group (of the shop concerned, if one);
 * - a change by a shop admin goes to their group's admins.
 * Notices are written in the same transaction as the change and pushed live after commit.
 */
import { randomUUID } from "node:crypto";
import { In, IsNull, type DataSource, type EntityManager } from "typeorm";
import type { ColumnMetadata } from "typeorm/metadata/ColumnMetadata";
import { unreachable } from "../common/errors";
import { ShopEntity } from "../catalog/shop.entity";
import type { Tx } from "../core/unit-of-work";
import type { RequestContext } from "../core/request-context";
import { repeatOnConflict } from "../db/transaction";
import { keysetPage, type Connection } from "../core/pagination";
import type { Statement } from "../db/statement-batch";
import { Role } from "../identity/role";
import { UserEntity } from "../identity/user.entity";
import { NotificationEntity } from "./notification.entity";

/** What a change concerns: the whole system, one shop group, or one shop. */
export type ChangeScope = { kind: "SYSTEM" } | { kind: "GROUP"; shopGroupId: string } | { kind: "SHOP"; shopId: string };

/** What a notice is about, stored as typed links beside its message (each optional). */
export interface NoticeLinks {
  orderId?: string | null;
  productId?: string | null;
  labId?: string | null;
  shopId?: string | null;
  shopGroupId?: string | null;
}

export interface ChangeNotice {
  kind: string;
  message: string;
  scope: ChangeScope;
  /** What the change is about beyond its scope (a change in a shop's scope links that shop, in a group's that group, unless said here). */
  links?: NoticeLinks;
}

export const MAX_PAGE = 200;

/**
 * A notice to every active admin of one shop, for a caller that writes it with its own statements,
 * either way it writes: in a transaction, or as one statement of a batch.
 */
export interface ShopAdminsNotice {
  /**
   * MySQL/MariaDB batch: one INSERT ... SELECT that chooses the recipients itself (no read of the
   * users before the batch), written only when the statement before it changed exactly one row; it
   * answers the rows written (`id`, `user_id`), whose recipients the caller rings after commit.
   */
  readonly statement: Statement;
  /** In the caller's transaction: the admins read, their notices written and rung after its commit. */
  write(tx: Tx): Promise<void>;
}

export class NotificationsService {
  /** The text of the shop admins' INSERT ... SELECT, made once (the columns do not change). */
  private shopAdminsInsert?: ReturnType<typeof shopAdminsInsert>;

  /** Records a change notice for everyone concerned (never the actor) and rings them after commit. */
  async reportChange(ctx: RequestContext, tx: Tx, notice: ChangeNotice): Promise<string[]> {
    const recipients = await this.recipients(ctx, tx.em, notice.scope);
    const scoped: NoticeLinks =
      notice.scope.kind === "SHOP" ? { shopId: notice.scope.shopId } : notice.scope.kind === "GROUP" ? { shopGroupId: notice.scope.shopGroupId } : {};
    return this.send(ctx, tx, recipients, notice.kind, notice.message, { ...scoped, ...notice.links });
  }

  /** Sends a notice to the given users (e.g. a shop admin and their group admin). */
  async send(ctx: RequestContext, tx: Tx, userIds: Iterable<string>, kind: string, message: string, links: NoticeLinks = {}): Promise<string[]> {
    return this.sendComposed(tx, this.compose(ctx, userIds, kind, message, links));
  }

  /** Writes composed notices in the caller's transaction and rings their recipients after commit. */
  async sendComposed(tx: Tx, rows: NotificationEntity[]): Promise<string[]> {
    if (rows.length === 0) return [];
    await tx.em.insert(NotificationEntity, rows);
    for (const r of rows) tx.emit("notification", r.userId, { notificationId: r.id });
    return rows.map((r) => r.userId);
  }

  /**
   * The notice rows `send` would write (never to the actor), for a caller that writes them itself
   * with its own statements; it rings each recipient after its commit (see `ring`).
   */
  compose(ctx: RequestContext, userIds: Iterable<string>, kind: string, message: string, links: NoticeLinks = {}): NotificationEntity[] {
    const actor = ctx.auth.kind === "user" ? ctx.auth.user.id : null;
    const ids = [...new Set(userIds)].filter((id) => id !== actor);
    const now = new Date();
    return ids.map((userId) =>
      Object.assign(new NotificationEntity(), {
        id: randomUUID(),
        userId,
        kind,
        message: message.slice(0, 2000),
        actorUserId: actor,
        orderId: links.orderId ?? null,
        productId: links.productId ?? null,
        labId: links.labId ?? null,
        shopId: links.shopId ?? null,
        shopGroupId: links.shopGroupId ?? null,
        createdAt: now,
        readAt: null,
      }),
    );
  }

  /** The shop's own admins (SHOP_ADMIN of that shop, not disabled), as the shop's own news reaches them. */
  shopAdminsOf(em: EntityManager, shopId: string): Promise<string[]> {
    return this.activeUsers(em, Role.SHOP_ADMIN, "shopId", [shopId]);
  }

  /** A notice to the shop's own admins (never the actor), as `compose` would make it for each. */
  toShopAdmins(ctx: RequestContext, shopId: string, kind: string, message: string, links: NoticeLinks = {}): ShopAdminsNotice {
    // The row as composed for no one yet: the statement gives each admin's its id and recipient.
    const [template] = this.compose(ctx, [""], kind, message, links);
    const shape = (this.shopAdminsInsert ??= shopAdminsInsert(ctx.app.ds));
    const actor = template.actorUserId;
    const statement: Statement = {
      sql: actor === null ? shape.sql : shape.sqlButActor,
      params: [
        ...shape.values.map((c) => (c.getEntityValue(template, true) as unknown) ?? null),
        Role.SHOP_ADMIN,
        shopId,
        false,
        ...(actor === null ? [] : [actor]),
      ],
    };
    return {
      statement,
      write: async (tx) => {
        await this.sendComposed(tx, this.compose(ctx, await this.shopAdminsOf(tx.em, shopId), kind, message, links));
      },
    };
  }

  /** The admins concerned by a change in this scope, by the rank of who made it. */
  async recipients(ctx: RequestContext, em: EntityManager, scope: ChangeScope): Promise<string[]> {
    const role = ctx.auth.kind === "user" ? ctx.auth.user.role : Role.CENTER_ADMIN; // the system acts with the center's authority
    const groupIds = await this.groupsOf(em, scope);
    const shopIds = await this.shopsOf(em, scope);
    const groupAdmins = () => this.activeUsers(em, Role.SHOP_GROUP_ADMIN, "shopGroupId", groupIds);
    const shopAdmins = () => this.activeUsers(em, Role.SHOP_ADMIN, "shopId", shopIds);
    switch (role) {
      case Role.CENTER_ADMIN:
        return [...(await groupAdmins()), ...(await shopAdmins())];
      case Role.SHOP_GROUP_ADMIN:
        return shopAdmins();
      case Role.SHOP_ADMIN:
        return groupAdmins();
      case Role.GENERAL_USER:
        return [];
      default:
        return unreachable(role);
    }
  }

  /** Group ids concerned; null means every group. */
  private async groupsOf(em: EntityManager, scope: ChangeScope): Promise<string[] | null> {
    switch (scope.kind) {
      case "SYSTEM":
        return null;
      case "GROUP":
        return [scope.shopGroupId];
      case "SHOP": {
        const shop = await em.findOne(ShopEntity, { where: { id: scope.shopId } });
        return shop ? [shop.shopGroupId] : [];
      }
    }
  }

  /** Shop ids concerned; null means every shop. */
  private async shopsOf(em: EntityManager, scope: ChangeScope): Promise<string[] | null> {
    switch (scope.kind) {
      case "SYSTEM":
        return null;
      case "GROUP":
        return (await em.find(ShopEntity, { where: { shopGroupId: scope.shopGroupId }, select: { id: true } })).map((s) => s.id);
      case "SHOP":
        return [scope.shopId];
    }
  }

  private async activeUsers(em: EntityManager, role: Role, column: "shopGroupId" | "shopId", ids: string[] | null): Promise<string[]> {
    if (ids !== null && ids.length === 0) return [];
    const where = ids === null ? { role, disabled: false } : { role, disabled: false, [column]: In(ids) };
    return (await em.find(UserEntity, { where, select: { id: true } })).map((u) => u.id);
  }

  async list(ctx: RequestContext, unreadOnly: boolean, first: number): Promise<NotificationEntity[]> {
    if (ctx.auth.kind !== "user") return [];
    const where = unreadOnly ? { userId: ctx.auth.user.id, readAt: IsNull() } : { userId: ctx.auth.user.id };
    return ctx.app.ds.getRepository(NotificationEntity).find({ where, order: { createdAt: "DESC", id: "DESC" }, take: Math.min(Math.max(first, 0), MAX_PAGE) });
  }

  /** A page of the caller's notices, newest first (anyone but a person: an empty page). */
  async page<T>(
    ctx: RequestContext,
    args: { unreadOnly: boolean; first: number; after: string | null },
    view: (n: NotificationEntity) => T,
  ): Promise<Connection<T>> {
    const qb = ctx.app.ds.getRepository(NotificationEntity).createQueryBuilder("n");
    qb.where("n.user_id = :me", { me: ctx.auth.kind === "user" ? ctx.auth.user.id : "" });
    if (ctx.auth.kind !== "user") qb.andWhere("1 = 0");
    if (args.unreadOnly) qb.andWhere("n.read_at IS NULL");
    return keysetPage(qb, { at: "n.created_at", id: "n.id" }, args, (n) => ({ at: n.createdAt, id: n.id }), view);
  }

  async unreadCount(ctx: RequestContext): Promise<number> {
    if (ctx.auth.kind !== "user") return 0;
    return ctx.app.ds.getRepository(NotificationEntity).count({ where: { userId: ctx.auth.user.id, readAt: IsNull() } });
  }

  /** Marks the caller's notices read: the ones named, or all of them. Others' notices are untouched. */
  async markRead(ctx: RequestContext, ids: string[] | null): Promise<number> {
    if (ctx.auth.kind !== "user") return 0;
    const where = ids === null ? { userId: ctx.auth.user.id, readAt: IsNull() } : { userId: ctx.auth.user.id, readAt: IsNull(), id: In(ids) };
    // Only unread notices: run again after a lost connection, it marks none twice.
    const r = await repeatOnConflict(() => ctx.app.ds.getRepository(NotificationEntity).update(where, { readAt: new Date() }));
    return r.affected ?? 0;
  }

  /** One notice of the caller's, for the live subscription (read back after commit). */
  async getOwn(ctx: RequestContext, id: string): Promise<NotificationEntity | null> {
    if (ctx.auth.kind !== "user") return null;
    return ctx.app.ds.getRepository(NotificationEntity).findOne({ where: { id, userId: ctx.auth.user.id } });
  }
}

/** Who made a change, as change reports name them: a person's login, or the system. */
export function actorName(ctx: RequestContext): string {
  return ctx.auth.kind === "user" ? ctx.auth.user.login : "the system";
}

/**
 * The INSERT ... SELECT of `toShopAdmins`: a notice row for each active admin of a shop (`?` the
 * role, the shop, `false`, and the actor left out in the second form), after a statement that
 * changed one row; `values` are the columns given as parameters, in order, before those four.
 */
function shopAdminsInsert(ds: DataSource): { sql: string; sqlButActor: string; values: ColumnMetadata[] } {
  const metadata = ds.getMetadata(NotificationEntity);
  const users = ds.getMetadata(UserEntity).tableName;
  const chosen: Record<string, string> = { id: "UUID()", userId: "u.id" };
  const columns = metadata.columns;
  const head =
    `INSERT INTO ${metadata.tableName} (${columns.map((c) => c.databaseName).join(", ")}) ` +
    `SELECT ${columns.map((c) => chosen[c.propertyName] ?? "?").join(", ")} FROM ${users} u ` +
    `WHERE ROW_COUNT() = 1 AND u.role = ? AND u.shop_id = ? AND u.disabled = ?`;
  return {
    sql: `${head} RETURNING id, user_id`,
    sqlButActor: `${head} AND u.id <> ? RETURNING id, user_id`,
    values: columns.filter((c) => chosen[c.propertyName] === undefined),
  };
}
