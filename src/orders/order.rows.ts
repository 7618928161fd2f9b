/**
 * The statements of placing and confirming an order, written by hand: they run with every order,
 * and building them with the query builder each time cost the center more CPU than MariaDB spent
 * running them. Each comes as a `Statement`, for a batch (db/statement-batch), or run at once in a
 * transaction. Column names are those of the entities (and their migration); `orderFromRow` turns
 * a row back into the entity with the same conversions the columns declare.
 */
import type { DataSource, EntityManager } from "typeorm";
import { firstRow, instantOrNull, textOrNull, toSafeInteger } from "../db/columns";
import type { Statement } from "../db/statement-batch";
import { placeholders, runSql, runSqlAlone } from "../db/transaction";
import { FulfilmentMethod } from "../catalog/fulfilment";
import type { OrderStatus } from "./order-state";
import { OrderEntity, type OrderItemEntity, type SubOrderEntity } from "./order.entity";

/** Every column of `orders`, by the entity's property. */
const ORDER_COLUMNS = {
  id: "id",
  customerUserId: "customer_user_id",
  status: "status",
  shopId: "shop_id",
  shopGroupId: "shop_group_id",
  labId: "lab_id",
  shootId: "shoot_id",
  requestJson: "request_json",
  quoteJson: "quote_json",
  quoteTotal: "quote_total",
  currency: "currency",
  assignmentJson: "assignment_json",
  idempotencyKey: "idempotency_key",
  requestHash: "request_hash",
  placedAt: "placed_at",
  quotedAt: "quoted_at",
  confirmedAt: "confirmed_at",
  updatedAt: "updated_at",
  version: "version",
} as const satisfies Record<keyof OrderEntity, string>;

type OrderProperty = keyof typeof ORDER_COLUMNS;
const ORDER_PROPERTIES = Object.keys(ORDER_COLUMNS) as OrderProperty[];
const ORDER_COLUMN_NAMES = ORDER_PROPERTIES.map((p) => ORDER_COLUMNS[p]);
/** Rows per multi-row INSERT: well under either engine's limit on bound parameters. */
const ROWS_PER_INSERT = 200;

/** A value as the column stores it: instants as epoch milliseconds (see db/columns). */
function stored(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  return value === undefined ? null : value;
}

/** INSERT statements for `rows` (every column given), at most ROWS_PER_INSERT rows each. */
function insertStatements<R>(table: string, columns: readonly string[], rows: readonly R[], values: (row: R) => unknown[]): Statement[] {
  const tuple = `(${placeholders(columns.length)})`;
  const statements: Statement[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const chunk = rows.slice(i, i + ROWS_PER_INSERT);
    statements.push({
      sql: `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${Array(chunk.length).fill(tuple).join(", ")}`,
      params: chunk.flatMap(values),
    });
  }
  return statements;
}

/** The INSERTs of a new order, its sub-orders and its items: one per table (per 200 rows). */
export function orderRowStatements(order: OrderEntity, subs: readonly SubOrderEntity[], items: readonly OrderItemEntity[]): Statement[] {
  return [
    ...insertStatements("orders", ORDER_COLUMN_NAMES, [order], (o) => ORDER_PROPERTIES.map((p) => stored(o[p]))),
    ...insertStatements("sub_orders", ["order_id", "seq", "service_id", "sheets"], subs, (s) => [s.orderId, s.seq, s.serviceId, s.sheets]),
    ...insertStatements("order_items", ["id", "order_id", "sub_order_seq", "position", "image_id", "design_template_id", "layout_json"], items, (it) => [
      it.id,
      it.orderId,
      it.subOrderSeq,
      it.position,
      it.imageId,
      it.designTemplateId,
      it.layoutJson,
    ]),
  ];
}

/** The order, its sub-orders and its items, in the transaction of `em`. */
export async function insertOrderRows(
  em: EntityManager,
  order: OrderEntity,
  subs: readonly SubOrderEntity[],
  items: readonly OrderItemEntity[],
): Promise<void> {
  for (const s of orderRowStatements(order, subs, items)) await runSql(em, s.sql, s.params);
}

/**
 * The UPDATE that sets `patch` on the order when its version is still `version`. Every change to
 * an order goes through a version check like this one (or raises the version itself).
 */
export function updateOrderStatement(orderId: string, version: number, patch: Partial<OrderEntity>): Statement {
  const properties = (Object.keys(patch) as OrderProperty[]).filter((p) => p !== "id");
  for (const p of properties) if (!(p in ORDER_COLUMNS)) throw new Error(`updateOrderStatement: orders has no column for ${p}`);
  return {
    sql: `UPDATE orders SET ${properties.map((p) => `${ORDER_COLUMNS[p]} = ?`).join(", ")} WHERE id = ? AND version = ?`,
    params: [...properties.map((p) => stored(patch[p])), orderId, version],
  };
}

/** Sets `patch` on the order (in the transaction of `em`) when its version is still `version`; true when it did. */
export async function updateOrderAt(em: EntityManager, orderId: string, version: number, patch: Partial<OrderEntity>): Promise<boolean> {
  const s = updateOrderStatement(orderId, version, patch);
  return (await runSql(em, s.sql, s.params)).affected === 1;
}

/**
 * MySQL/MariaDB: the condition that the order (under the table alias `alias`) is not to be
 * delivered, its stored request naming no DELIVERY (the request's shape, as order-fulfilment.ts
 * reads it). A statement that moves an order to PRINTED by itself takes only such orders: a
 * delivery order's shipment is made in the same transaction as that move (see dispatch).
 */
export function notForDeliverySql(alias: string): string {
  return `COALESCE(JSON_VALUE(${alias}.request_json, '$.fulfilment.method'), '') <> '${FulfilmentMethod.DELIVERY}'`;
}

/** Whether the order's stored request names a DELIVERY (what notForDeliverySql tells in SQL). */
export function isForDelivery(requestJson: string): boolean {
  const request = JSON.parse(requestJson) as { fulfilment?: { method?: unknown } | null };
  return request.fulfilment?.method === FulfilmentMethod.DELIVERY;
}

/** The order as stored now (in the transaction of `em`), or null. */
export async function readOrder(em: EntityManager, orderId: string): Promise<OrderEntity | null> {
  return firstRow(await runSql(em, READ_ORDER, [orderId]), orderFromRow);
}

/** The order as committed now, read outside any transaction (MySQL/MariaDB), or null. */
export async function readOrderAlone(ds: DataSource, orderId: string): Promise<OrderEntity | null> {
  return firstRow(await runSqlAlone(ds, READ_ORDER, [orderId]), orderFromRow);
}

const READ_ORDER = `SELECT ${ORDER_COLUMN_NAMES.join(", ")} FROM orders WHERE id = ?`;

export function orderFromRow(row: Record<string, unknown>): OrderEntity {
  const o = new OrderEntity();
  o.id = String(row.id);
  o.customerUserId = String(row.customer_user_id);
  o.status = String(row.status) as OrderStatus;
  o.shopId = textOrNull(row.shop_id);
  o.shopGroupId = textOrNull(row.shop_group_id);
  o.labId = textOrNull(row.lab_id);
  o.shootId = textOrNull(row.shoot_id);
  o.requestJson = String(row.request_json);
  o.quoteJson = textOrNull(row.quote_json);
  o.quoteTotal = row.quote_total === null || row.quote_total === undefined ? null : toSafeInteger(row.quote_total, "quote_total");
  o.currency = String(row.currency);
  o.assignmentJson = textOrNull(row.assignment_json);
  o.idempotencyKey = textOrNull(row.idempotency_key);
  o.requestHash = String(row.request_hash);
  o.placedAt = new Date(toSafeInteger(row.placed_at, "placed_at"));
  o.quotedAt = new Date(toSafeInteger(row.quoted_at, "quoted_at"));
  o.confirmedAt = instantOrNull(row.confirmed_at, "confirmed_at");
  o.updatedAt = new Date(toSafeInteger(row.updated_at, "updated_at"));
  o.version = toSafeInteger(row.version, "version");
  return o;
}
