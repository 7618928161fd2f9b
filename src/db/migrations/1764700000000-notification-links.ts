import { TableColumn, type MigrationInterface, type QueryRunner } from "typeorm";
import { ref } from "./table-helpers";

/**
 * What a notice is about, as typed links beside its message: the order, product, lab, shop and
 * shop group concerned, each null when the notice is not about one. Notices made before this
 * migration keep null links (their message still names what they were about).
 */
export class NotificationLinks1764700000000 implements MigrationInterface {
  name = "NotificationLinks1764700000000";

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns(
      "notifications",
      LINKS.map((name) => new TableColumn(ref(name, true))),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const name of [...LINKS].reverse()) await q.dropColumn("notifications", name);
  }
}

const LINKS = ["order_id", "product_id", "lab_id", "shop_id", "shop_group_id"];
