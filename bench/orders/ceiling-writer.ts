/**
 * The orders benchmark's ceiling: the rows one placed and confirmed order leaves behind (an
 * orders row, its sub_orders, its order_items, its print job) written with raw mysql2 inserts in
 * one transaction per order, no HTTP, no GraphQL, no ORM, no reads. What the center reaches relative
 * to this is what everything above the database costs it: its layers and the reads and round trips
 * its rules make.
 *
 * The rows copy a real order the center wrote in the same run: the same columns (all of them,
 * from SELECT *), the same JSON texts (request, frozen quote, assignment decision), the same shop,
 * group, lab and statuses; only ids, the customer, the idempotency key and hash, the timestamps
 * and the sub-orders' and items' own values are the ceiling order's. Each statement is a prepared
 * statement (mysql2 `execute`, prepared once per connection), multi-row where a table gets several
 * rows: the cheapest plain way to write them (a text-protocol `query` costs MariaDB and the client
 * about a third more CPU per order here).
 */
import { createHash, randomUUID } from "node:crypto";
import * as mysql from "mysql2/promise";
import type { OrderInput } from "./center-orders";
import { connectionOptions, type MysqlConfig } from "./scratch-database";

/** A column's value as mysql2 reads it here (BIGINT as a string) and binds it back. */
type Value = string | number | null;
type Row = Record<string, Value>;

/** The rows of one order as the center wrote them. */
export interface OrderRows {
  order: Row;
  subOrders: Row[];
  items: Row[];
  jobs: Row[];
}

export async function readOrderRows(db: MysqlConfig, orderId: string): Promise<OrderRows> {
  const conn = await mysql.createConnection(connectionOptions(db));
  try {
    const read = async (sql: string): Promise<Row[]> => (await conn.query(sql, [orderId]))[0] as Row[];
    const [order] = await read("SELECT * FROM `orders` WHERE `id` = ?");
    const rows: OrderRows = {
      order,
      subOrders: await read("SELECT * FROM `sub_orders` WHERE `order_id` = ? ORDER BY `seq`"),
      items: await read("SELECT * FROM `order_items` WHERE `order_id` = ? ORDER BY `sub_order_seq`, `position`"),
      jobs: await read("SELECT * FROM `print_jobs` WHERE `order_id` = ?"),
    };
    if (!order || rows.subOrders.length === 0 || rows.items.length === 0 || rows.jobs.length !== 1) {
      throw new Error(
        `order ${orderId} as written by the center: ${rows.subOrders.length} sub-orders, ${rows.items.length} items, ${rows.jobs.length} print jobs`,
      );
    }
    return rows;
  } finally {
    await conn.end();
  }
}

function insertSql(table: string, columns: string[], rows: number): string {
  const tuple = `(${columns.map(() => "?").join(",")})`;
  return `INSERT INTO \`${table}\` (${columns.map((c) => `\`${c}\``).join(",")}) VALUES ${new Array<string>(rows).fill(tuple).join(",")}`;
}

/** One connection writing orders shaped like the template, one transaction each. */
export class CeilingWriter {
  private readonly sql: { order: string; subOrders: string; items: string; job: string };
  private readonly columns: { order: string[]; subOrders: string[]; items: string[]; job: string[] };

  private constructor(
    private readonly conn: mysql.Connection,
    private readonly template: OrderRows,
    private readonly customerId: string,
  ) {
    this.columns = {
      order: Object.keys(template.order),
      subOrders: Object.keys(template.subOrders[0]),
      items: Object.keys(template.items[0]),
      job: Object.keys(template.jobs[0]),
    };
    this.sql = {
      order: insertSql("orders", this.columns.order, 1),
      subOrders: insertSql("sub_orders", this.columns.subOrders, template.subOrders.length),
      items: insertSql("order_items", this.columns.items, template.items.length),
      job: insertSql("print_jobs", this.columns.job, 1),
    };
  }

  static async open(db: MysqlConfig, template: OrderRows, customerId: string): Promise<CeilingWriter> {
    return new CeilingWriter(await mysql.createConnection(connectionOptions(db)), template, customerId);
  }

  async close(): Promise<void> {
    await this.conn.end();
  }

  /** Writes one order (its input gives the sub-orders' and items' values) and commits. */
  async write(input: OrderInput, key: string): Promise<void> {
    const t = this.template;
    const now = Date.now();
    const orderId = randomUUID();
    const values = (columns: string[], template: Row, own: Row): Value[] => columns.map((c) => (c in own ? own[c] : template[c]));

    const order = values(this.columns.order, t.order, {
      id: orderId,
      customer_user_id: this.customerId,
      idempotency_key: key,
      request_hash: createHash("sha256").update(JSON.stringify(input)).digest("hex"),
      placed_at: now,
      quoted_at: now,
      confirmed_at: now,
      updated_at: now,
    });
    const subOrders = t.subOrders.flatMap((row, i) => {
      const s = input.subOrders[i % input.subOrders.length];
      return values(this.columns.subOrders, row, { order_id: orderId, seq: i + 1, service_id: s.serviceId, sheets: s.sheets });
    });
    const items = t.items.flatMap((row) => {
      const s = input.subOrders[(Number(row.sub_order_seq) - 1) % input.subOrders.length];
      const it = s.items[Number(row.position) % s.items.length];
      return values(this.columns.items, row, {
        id: randomUUID(),
        order_id: orderId,
        image_id: it.imageId,
        layout_json: it.layout ? JSON.stringify(it.layout) : null,
      });
    });
    const job = values(this.columns.job, t.jobs[0], { id: randomUUID(), order_id: orderId, available_at: now, created_at: now, updated_at: now });

    await this.conn.beginTransaction();
    try {
      await this.conn.execute(this.sql.order, order);
      await this.conn.execute(this.sql.subOrders, subOrders);
      await this.conn.execute(this.sql.items, items);
      await this.conn.execute(this.sql.job, job);
      await this.conn.commit();
    } catch (e) {
      await this.conn.rollback().catch(() => undefined);
      throw e;
    }
  }
}
