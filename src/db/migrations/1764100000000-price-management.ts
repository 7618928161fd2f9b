import type { MigrationInterface, QueryRunner } from "typeorm";
import { big, id, ref, str, table, text } from "./table-helpers";

/** Price management: change notices for admins and the price history. */
export class PriceManagement1764100000000 implements MigrationInterface {
  name = "PriceManagement1764100000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      table(
        "notifications",
        [{ ...id(), length: "36" }, ref("user_id"), str("kind", 64), str("message", 2000), ref("actor_user_id", true), big("created_at"), big("read_at", true)],
        {
          indices: [{ name: "ix_notifications_user", columns: ["user_id", "created_at"] }],
          foreignKeys: [{ columns: ["user_id"], table: "users", onDelete: "CASCADE" }],
        },
      ),
    );
    await q.createTable(
      table(
        "price_history",
        [
          { ...id(), length: "36" },
          str("entity_kind", 16),
          str("entity_id", 140),
          ref("product_id"),
          ref("shop_group_id", true),
          ref("shop_id", true),
          str("action", 10),
          ref("actor_user_id", true),
          big("at"),
          text("before", true),
          text("after", true),
        ],
        { indices: [{ name: "ix_price_history_product", columns: ["product_id", "at"] }] },
      ),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("price_history");
    await q.dropTable("notifications");
  }
}
