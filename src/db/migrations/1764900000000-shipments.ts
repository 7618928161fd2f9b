import type { MigrationInterface, QueryRunner } from "typeorm";
import { big, id, ref, str, table } from "./table-helpers";

/**
 * Shipments: one per delivery order once it is printed, at the lab that printed it. The lab's
 * "to ship" list reads (lab_id, status) oldest first, which one index serves.
 */
export class Shipments1764900000000 implements MigrationInterface {
  name = "Shipments1764900000000";

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      table(
        "shipments",
        [
          id(),
          { ...ref("order_id"), length: "36" },
          ref("lab_id"),
          str("status", 16),
          str("carrier", 100, true),
          str("tracking_number", 100, true),
          big("status_at"),
          big("created_at"),
          big("updated_at"),
        ],
        {
          indices: [
            { name: "uq_shipments_order", columns: ["order_id"], unique: true },
            { name: "ix_shipments_lab_status", columns: ["lab_id", "status", "created_at"] },
          ],
          foreignKeys: [
            { columns: ["order_id"], table: "orders", onDelete: "CASCADE" },
            { columns: ["lab_id"], table: "labs" },
          ],
        },
      ),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable("shipments");
  }
}
