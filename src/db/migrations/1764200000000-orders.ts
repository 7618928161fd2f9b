import type { MigrationInterface, QueryRunner } from "typeorm";
import { TableColumn } from "typeorm";
import { big, bool, dbl, id, int, ref, str, table, text } from "./table-helpers";

/** Orders and lab assignment: images, orders, sub-orders, items, print jobs, lab load, home shops. */
export class Orders1764200000000 implements MigrationInterface {
  name = "Orders1764200000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      table(
        "images",
        [
          id(),
          ref("owner_user_id", true),
          bool("stock"),
          str("content_type", 40),
          big("bytes"),
          str("sha256", 64),
          int("width"),
          int("height"),
          str("storage_key", 200),
          big("created_at"),
        ],
        {
          indices: [{ name: "ix_images_owner", columns: ["owner_user_id", "created_at"] }],
        },
      ),
    );
    const uuid = (name = "id") => ({ ...id(name), length: "36" });
    await q.createTable(
      table(
        "orders",
        [
          uuid(),
          ref("customer_user_id"),
          str("status", 16),
          ref("shop_id", true),
          ref("shop_group_id", true),
          ref("lab_id", true),
          text("request_json"),
          text("quote_json", true),
          big("quote_total", true),
          str("currency", 3),
          text("assignment_json", true),
          str("idempotency_key", 100, true),
          str("request_hash", 64),
          big("placed_at"),
          big("quoted_at"),
          big("confirmed_at", true),
          big("updated_at"),
          { name: "version", type: "int", default: 0 },
        ],
        {
          indices: [
            { name: "uq_orders_idempotency", columns: ["customer_user_id", "idempotency_key"], unique: true },
            { name: "ix_orders_customer", columns: ["customer_user_id", "placed_at"] },
            { name: "ix_orders_shop", columns: ["shop_id", "placed_at"] },
            { name: "ix_orders_lab", columns: ["lab_id", "placed_at"] },
            { name: "ix_orders_placed", columns: ["placed_at"] },
          ],
          foreignKeys: [{ columns: ["customer_user_id"], table: "users" }],
        },
      ),
    );
    await q.createTable(
      table("sub_orders", [{ ...ref("order_id"), length: "36" }, int("seq"), ref("service_id"), int("sheets")], {
        primary: ["order_id", "seq"],
        foreignKeys: [{ columns: ["order_id"], table: "orders", onDelete: "CASCADE" }],
      }),
    );
    await q.createTable(
      table(
        "order_items",
        [
          uuid(),
          { ...ref("order_id"), length: "36" },
          int("sub_order_seq"),
          int("position"),
          ref("image_id"),
          ref("design_template_id", true),
          text("layout_json", true),
        ],
        {
          indices: [{ name: "ix_order_items_order", columns: ["order_id", "sub_order_seq", "position"] }],
          foreignKeys: [{ columns: ["order_id"], table: "orders", onDelete: "CASCADE" }],
        },
      ),
    );
    await q.createTable(
      table(
        "print_jobs",
        [
          uuid(),
          { ...ref("order_id"), length: "36" },
          ref("lab_id"),
          str("status", 10),
          { name: "attempts", type: "int", default: 0 },
          big("available_at"),
          str("lease_token", 64, true),
          big("lease_expires_at", true),
          str("last_error", 1000, true),
          big("created_at"),
          big("updated_at"),
        ],
        {
          indices: [
            { name: "ix_print_jobs_claimable", columns: ["lab_id", "status", "available_at"] },
            { name: "ix_print_jobs_order", columns: ["order_id"] },
          ],
          foreignKeys: [
            { columns: ["order_id"], table: "orders", onDelete: "CASCADE" },
            { columns: ["lab_id"], table: "labs" },
          ],
        },
      ),
    );
    await q.addColumns("labs", [
      new TableColumn({ ...dbl("load_utilisation"), isNullable: true }),
      new TableColumn({ ...int("load_queued_jobs", true) }),
      new TableColumn({ ...int("load_queued_sheets", true) }),
      new TableColumn({ ...big("load_reported_at", true) }),
      new TableColumn({ ...big("last_seen_at", true) }),
    ]);
    await q.addColumn("users", new TableColumn({ ...ref("home_shop_id", true) }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn("users", "home_shop_id");
    for (const c of ["last_seen_at", "load_reported_at", "load_queued_sheets", "load_queued_jobs", "load_utilisation"]) await q.dropColumn("labs", c);
    for (const t of ["print_jobs", "order_items", "sub_orders", "orders", "images"]) await q.dropTable(t);
  }
}
