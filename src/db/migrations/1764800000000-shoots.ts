import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from "typeorm";
import { big, id, int, ref, str, table } from "./table-helpers";

/**
 * Event photography (seed 002): shoots, their capture devices, the images they captured, the access
 * codes that show them to customers, and which shoot an order's images come from.
 */
export class Shoots1764800000000 implements MigrationInterface {
  name = "Shoots1764800000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      table(
        "shoots",
        [
          id(),
          ref("shop_id"),
          str("name", 200),
          ref("first_print_lab_id"),
          str("available_until", 10, true),
          { ...int("image_count"), default: 0 },
          big("retirement_noticed_at", true),
          big("retired_at", true),
          ref("created_by"),
          big("created_at"),
        ],
        {
          indices: [
            { name: "ix_shoots_shop", columns: ["shop_id", "created_at"] },
            { name: "ix_shoots_available", columns: ["available_until"] },
          ],
          foreignKeys: [{ columns: ["shop_id"], table: "shops" }],
        },
      ),
    );
    await q.createTable(
      table("capture_devices", [id(), ref("shop_id"), str("name", 200), str("hash", 255), big("created_at"), big("revoked_at", true)], {
        indices: [{ name: "ix_capture_devices_shop", columns: ["shop_id", "created_at"] }],
        foreignKeys: [{ columns: ["shop_id"], table: "shops" }],
      }),
    );
    await q.createTable(
      table(
        "shoot_images",
        [id("image_id"), ref("shoot_id"), str("sha256", 64), int("width"), int("height"), str("subject", 100, true), ref("device_id", true), big("created_at")],
        {
          indices: [
            { name: "ux_shoot_images_sha", columns: ["shoot_id", "sha256"], unique: true },
            { name: "ix_shoot_images_subject", columns: ["shoot_id", "subject", "created_at"] },
            { name: "ix_shoot_images_order", columns: ["shoot_id", "created_at"] },
          ],
          foreignKeys: [{ columns: ["shoot_id"], table: "shoots", onDelete: "CASCADE" }],
        },
      ),
    );
    await q.createTable(
      table(
        "access_codes",
        [{ ...id(), length: "80" }, ref("shoot_id"), str("subject", 100, true), big("expires_at", true), ref("created_by"), big("created_at")],
        {
          indices: [{ name: "ix_access_codes_shoot", columns: ["shoot_id", "subject"] }],
          foreignKeys: [{ columns: ["shoot_id"], table: "shoots", onDelete: "CASCADE" }],
        },
      ),
    );
    await q.addColumn("orders", new TableColumn({ name: "shoot_id", type: "varchar", length: "64", isNullable: true }));
    await q.createIndex("orders", new TableIndex({ name: "ix_orders_shoot", columnNames: ["shoot_id"] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex("orders", "ix_orders_shoot");
    await q.dropColumn("orders", "shoot_id");
    await q.dropTable("access_codes");
    await q.dropTable("shoot_images");
    await q.dropTable("capture_devices");
    await q.dropTable("shoots");
  }
}
