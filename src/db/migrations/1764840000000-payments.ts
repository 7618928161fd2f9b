import type { MigrationInterface, QueryRunner } from "typeorm";
import { big, id, int, ref, str, table } from "./table-helpers";

/** Reorders' payments and the gateway events already processed (seed 002). */
export class Payments1764840000000 implements MigrationInterface {
  name = "Payments1764840000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      table(
        "payments",
        [
          id(),
          ref("order_id"),
          ref("shop_id"),
          str("method", 10),
          str("status", 10),
          big("amount"),
          str("currency", 3),
          str("provider_ref", 255, true),
          str("note", 500, true),
          { ...int("version"), default: 0 },
          big("created_at"),
          big("updated_at"),
          big("overdue_noticed_at", true),
        ],
        {
          indices: [
            { name: "uq_payments_order", columns: ["order_id"], unique: true },
            { name: "ix_payments_status", columns: ["status", "created_at"] },
          ],
          foreignKeys: [{ columns: ["order_id"], table: "orders" }],
        },
      ),
    );
    await q.createTable(table("payment_events", [{ ...str("id", 255), isPrimary: true }, str("type", 100), ref("payment_id", true), big("received_at")]));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("payment_events");
    await q.dropTable("payments");
  }
}
